// Binds a cell's Monaco model to its Y.Text in the shared document, both ways, and draws other
// people's cursors and selections in it.
//
// Why not y-monaco: its module imports `monaco-editor`'s main entry at load (every language and
// worker contribution, a second Monaco beside the lazily loaded `editor.api` Flint uses), and it
// binds editors, while Flint keeps one model per cell and creates an editor only for the cell
// being edited. Binding the model means a cell's text follows the others' typing whether or not
// it has an editor, and undo history survives the editor (editor-models.ts).
import type { editor as TEditor } from "monaco-editor/editor/editor.api";
import type * as Y from "yjs";
import type { CollabClient } from "./collab";
import type { TMonaco } from "./monaco";

/** Starts the binding; returns the function that ends it. */
export function bindModelToText(
  monaco: TMonaco,
  model: TEditor.ITextModel,
  text: Y.Text,
  collab: CollabClient,
  cellId: string,
): () => void {
  const origin = { model };
  let isApplyingRemote = false;
  if (model.getValue() !== text.toString()) model.setValue(text.toString());

  const observer = (event: Y.YTextEvent, transaction: Y.Transaction) => {
    if (transaction.origin === origin) return;
    // The page's own store can write a change to the text before this binding does (the cell's
    // editor listened to the model before the model was bound, at the page's first sync): the
    // model has it already, and applying it again typed every key twice.
    if (model.getValue() === text.toString()) {
      drawCursors();
      return;
    }
    // One edit operation for the whole delta, its ranges in the text as it was before: the model
    // then changes once, to the text the document has, and listeners never see half of it.
    const edits: TEditor.IIdentifiedSingleEditOperation[] = [];
    let index = 0;
    for (const op of event.delta) {
      if (op.retain !== undefined) {
        index += op.retain;
      } else if (typeof op.insert === "string") {
        const at = model.getPositionAt(index);
        edits.push({
          range: new monaco.Range(at.lineNumber, at.column, at.lineNumber, at.column),
          text: op.insert,
        });
      } else if (op.delete !== undefined) {
        const start = model.getPositionAt(index);
        const end = model.getPositionAt(index + op.delete);
        edits.push({
          range: new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column),
          text: "",
        });
        index += op.delete;
      }
    }
    isApplyingRemote = true;
    try {
      model.applyEdits(edits);
    } finally {
      isApplyingRemote = false;
    }
    // Should the two ever differ (a missed event), the document wins.
    if (model.getValue() !== text.toString()) {
      isApplyingRemote = true;
      try {
        model.setValue(text.toString());
      } finally {
        isApplyingRemote = false;
      }
    }
    drawCursors();
  };
  text.observe(observer);

  const contentListener = model.onDidChangeContent((event) => {
    if (isApplyingRemote) return;
    const doc = text.doc;
    // Already in the text (the store wrote it first, see above): writing it again doubles it.
    if (!doc || model.getValue() === text.toString()) return;
    // Offsets of one event are all relative to the text before it: apply from the end.
    const changes = [...event.changes].sort((a, b) => b.rangeOffset - a.rangeOffset);
    doc.transact(() => {
      for (const change of changes) {
        if (change.rangeLength > 0) text.delete(change.rangeOffset, change.rangeLength);
        if (change.text) text.insert(change.rangeOffset, change.text);
      }
    }, origin);
  });

  let decorations: string[] = [];
  const drawCursors = () => {
    if (model.isDisposed()) return;
    const next: TEditor.IModelDeltaDecoration[] = [];
    for (const cursor of collab.cursorsIn(cellId, text)) {
      const start = model.getPositionAt(Math.min(cursor.anchor, cursor.head));
      const end = model.getPositionAt(Math.max(cursor.anchor, cursor.head));
      const head = model.getPositionAt(cursor.head);
      if (cursor.anchor !== cursor.head) {
        next.push({
          range: new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column),
          options: { className: `nb-remote-selection nb-presence-bg-${cursor.color}` },
        });
      }
      next.push({
        range: new monaco.Range(head.lineNumber, head.column, head.lineNumber, head.column),
        options: {
          beforeContentClassName: `nb-remote-cursor nb-presence-border-${cursor.color}`,
          hoverMessage: { value: cursor.name },
          stickiness: monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges,
        },
      });
    }
    decorations = model.deltaDecorations(decorations, next);
  };
  collab.awareness.on("change", drawCursors);
  drawCursors();

  return () => {
    text.unobserve(observer);
    contentListener.dispose();
    collab.awareness.off("change", drawCursors);
    if (!model.isDisposed()) model.deltaDecorations(decorations, []);
  };
}
