// Monaco text models per cell, kept while the notebook is open so that a cell's undo history
// survives its editor being unmounted (only the cell being edited has an editor), and the kernel
// completion provider that finds its cell from the model.
import { getSourceText } from "@flint/collab/shared";
import type { editor as TEditor, languages as TLanguages } from "monaco-editor/editor/editor.api";
import type { NotebookController } from "./controller";
import type { TMonaco } from "./monaco";
import { bindModelToText } from "./monaco-binding";

type TTarget = { controller: NotebookController; cellId: string };

const models = new Map<string, TEditor.ITextModel>();
const targets = new Map<string, TTarget>();
/** Models bound to their cell's text in the shared document, with the function that unbinds. */
const bindings = new Map<TEditor.ITextModel, () => void>();
let loadedMonaco: TMonaco | null = null;

/** Binds a cell's model to its shared text once the page co-edits; true when bound. */
function bindModel(
  monaco: TMonaco,
  controller: NotebookController,
  cellId: string,
  model: TEditor.ITextModel,
) {
  if (bindings.has(model)) return true;
  const collab = controller.collab;
  if (!collab || !controller.isCoediting()) return false;
  const text = getSourceText(collab.doc, cellId);
  if (!text) return false;
  bindings.set(model, bindModelToText(monaco, model, text, collab, cellId));
  model.onWillDispose(() => {
    bindings.get(model)?.();
    bindings.delete(model);
  });
  return true;
}

/** Binds the models made before the page's first sync (the cell being edited). */
export function bindExistingModels(controller: NotebookController): void {
  if (!loadedMonaco) return;
  for (const [key, model] of models) {
    if (!key.startsWith(`${controller.notebookId}/`) || model.isDisposed()) continue;
    bindModel(loadedMonaco, controller, key.slice(controller.notebookId.length + 1), model);
  }
}
let isProviderRegistered = false;

export function languageOf(cellType: string): string {
  return cellType === "code" ? "python" : cellType === "markdown" ? "markdown" : "plaintext";
}

/** The model of a cell, created with its current source on first use. */
export function getCellModel(
  monaco: TMonaco,
  controller: NotebookController,
  cellId: string,
  source: string,
  language: string,
): TEditor.ITextModel {
  const key = `${controller.notebookId}/${cellId}`;
  let model = models.get(key);
  if (!model || model.isDisposed()) {
    const uri = monaco.Uri.from({ scheme: "flint-cell", path: `/${controller.notebookId}/${cellId}` });
    model = monaco.editor.getModel(uri) ?? monaco.editor.createModel(source, language, uri);
    models.set(key, model);
    targets.set(uri.toString(), { controller, cellId });
  }
  loadedMonaco = monaco;
  if (model.getLanguageId() !== language) monaco.editor.setModelLanguage(model, language);
  // A bound model follows its shared text itself; replacing its whole value would undo others' typing.
  if (!bindModel(monaco, controller, cellId, model) && model.getValue() !== source) model.setValue(source);
  registerKernelCompletion(monaco);
  return model;
}

/** Disposes the models of a notebook when its page goes away. */
export function disposeCellModels(notebookId: string): void {
  for (const [key, model] of models) {
    if (!key.startsWith(`${notebookId}/`)) continue;
    targets.delete(model.uri.toString());
    model.dispose();
    models.delete(key);
  }
}

function kindOf(monaco: TMonaco, type: unknown): TLanguages.CompletionItemKind {
  const kinds = monaco.languages.CompletionItemKind;
  switch (type) {
    case "function":
      return kinds.Function;
    case "class":
      return kinds.Class;
    case "module":
      return kinds.Module;
    case "keyword":
      return kinds.Keyword;
    case "instance":
    case "statement":
      return kinds.Variable;
    case "path":
      return kinds.File;
    case "property":
      return kinds.Property;
    default:
      return kinds.Text;
  }
}

function registerKernelCompletion(monaco: TMonaco): void {
  if (isProviderRegistered) return;
  isProviderRegistered = true;
  monaco.languages.registerCompletionItemProvider("python", {
    triggerCharacters: ["."],
    provideCompletionItems: async (model, position, _context, token) => {
      const target = targets.get(model.uri.toString());
      if (!target) return { suggestions: [] };
      const code = model.getValue();
      const reply = await target.controller.complete(target.cellId, code, model.getOffsetAt(position));
      if (!reply || token.isCancellationRequested || model.isDisposed()) return { suggestions: [] };
      const start = model.getPositionAt(reply.start);
      const end = model.getPositionAt(Math.max(reply.end, reply.start));
      const range = new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column);
      return {
        suggestions: reply.matches.map((match, index) => ({
          label: match,
          kind: kindOf(monaco, reply.types[index]),
          insertText: match,
          range,
          // Keep the kernel's order (jedi ranks by relevance).
          sortText: String(index).padStart(6, "0"),
        })),
      };
    },
  });
}
