// The Monaco editor of the cell being edited. Only that cell has one; it takes the Jupyter keys of
// edit mode (Shift/Ctrl/Alt+Enter, Esc, Ctrl+S, Tab completion, Shift+Tab help) before Monaco's
// own keybindings see them.
"use client";
import type { editor as TEditor } from "monaco-editor/editor/editor.api";
import { memo, useEffect, useRef, useState } from "react";
import { editorLineHeight } from "@/lib/editor-settings";
import {
  COMMANDS,
  createKeyMatcher,
  EDITOR_KEYS,
  keyName,
  type TCommandContext,
} from "@/lib/notebook/commands";
import type { NotebookController } from "@/lib/notebook/controller";
import { getCellModel, languageOf } from "@/lib/notebook/editor-models";
import { useMonaco } from "@/lib/notebook/monaco-loader";
import { usePreferences, useResolvedTheme } from "@/lib/preferences";
import { AnsiText } from "./outputs/ansi-text";
import { StaticCode } from "./static-code";

/** Where the user clicked a cell's static text, so the editor puts the cursor there. */
export type TClickPoint = { x: number; y: number } | null;

export const EDITOR_PADDING = 8;

/** Monaco options that follow Settings → Appearance & editor (set at creation and on change). */
function preferenceOptions(fontSize: number, lineNumbers: boolean): TEditor.IEditorOptions {
  return {
    fontSize,
    lineHeight: editorLineHeight(fontSize),
    lineNumbers: lineNumbers ? "on" : "off",
    lineNumbersMinChars: lineNumbers ? 3 : 0,
  };
}

export const CodeEditor = memo(function CodeEditor({
  controller,
  cellId,
  cellType,
  source,
  clickPoint,
  getCommandContext,
}: {
  controller: NotebookController;
  cellId: string;
  cellType: string;
  source: string;
  clickPoint: TClickPoint;
  getCommandContext: () => TCommandContext;
}) {
  const monaco = useMonaco();
  const containerRef = useRef<HTMLDivElement>(null);
  const editorRef = useRef<TEditor.IStandaloneCodeEditor | null>(null);
  const [help, setHelpState] = useState<string | null>(null);
  // The key handler is bound once per editor, so it reads the help text through a ref.
  const helpRef = useRef<string | null>(null);
  const setHelp = (text: string | null) => {
    helpRef.current = text;
    setHelpState(text);
  };
  const language = languageOf(cellType);
  const { store } = controller;
  const { editorFontSize, lineNumbers } = usePreferences().preferences;
  const monacoTheme = useResolvedTheme() === "dark" ? "flint-dark" : "flint-light";

  // biome-ignore lint/correctness/useExhaustiveDependencies: the editor is created once per cell; source and click point are read at creation only
  useEffect(() => {
    const container = containerRef.current;
    if (!monaco || !container) return;
    const model = getCellModel(monaco, controller, cellId, store.getCell(cellId)?.source ?? source, language);
    const editor = monaco.editor.create(container, {
      model,
      theme: monacoTheme,
      ...preferenceOptions(editorFontSize, lineNumbers),
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      minimap: { enabled: false },
      glyphMargin: false,
      folding: false,
      lineDecorationsWidth: 12,
      scrollBeyondLastLine: false,
      overviewRulerLanes: 0,
      overviewRulerBorder: false,
      hideCursorInOverviewRuler: true,
      renderLineHighlight: "none",
      scrollbar: {
        vertical: "hidden",
        horizontal: "auto",
        alwaysConsumeMouseWheel: false,
        useShadows: false,
      },
      padding: { top: EDITOR_PADDING, bottom: EDITOR_PADDING },
      wordWrap: cellType === "code" ? "off" : "on",
      automaticLayout: true,
      // Suggest and hover widgets must not be clipped by the cell box.
      fixedOverflowWidgets: true,
      tabSize: 4,
      insertSpaces: true,
      contextmenu: false,
      quickSuggestions: cellType === "code" ? { other: true, comments: false, strings: false } : false,
      quickSuggestionsDelay: 250,
      suggestOnTriggerCharacters: cellType === "code",
      wordBasedSuggestions: "off",
      tabCompletion: "off",
      ariaLabel: `${cellType === "code" ? "Code" : cellType === "markdown" ? "Markdown" : "Raw"} cell editor`,
    });
    editorRef.current = editor;
    const resize = () => {
      const lineHeight = editor.getOption(monaco.editor.EditorOption.lineHeight);
      container.style.height = `${Math.max(editor.getContentHeight(), lineHeight + 2 * EDITOR_PADDING)}px`;
    };
    resize();
    const disposables = [
      editor.onDidContentSizeChange(resize),
      model.onDidChangeContent(() => store.setSource(cellId, model.getValue())),
      // Others see this person's cursor and selection in the cell.
      editor.onDidChangeCursorSelection(({ selection }) => {
        controller.updatePresence(cellId, {
          anchor: model.getOffsetAt(selection.getSelectionStart()),
          head: model.getOffsetAt(selection.getPosition()),
        });
      }),
      editor.onDidBlurEditorWidget(() => {
        // Focus left the cell (a click elsewhere): Jupyter's command mode, unless it went to a
        // widget of this editor or to a dialog that will hand it back.
        setTimeout(() => {
          const active = document.activeElement;
          if (container.contains(active)) return;
          if (active?.closest("dialog[open]")) return;
          if (store.getActiveId() === cellId && store.getMode() === "edit") store.setMode("command");
        }, 0);
      }),
    ];
    const matcher = createKeyMatcher();
    const isWidgetOpen = (selector: string) =>
      Boolean(
        container.querySelector(`${selector}.visible`) ?? document.querySelector(`${selector}.visible`),
      );
    editor.onKeyDown((event) => {
      const name = keyName(event.browserEvent);
      const position = editor.getPosition();
      if (name === EDITOR_KEYS.complete.key) {
        if (isWidgetOpen(".suggest-widget") || !position) return;
        const before = model.getLineContent(position.lineNumber).slice(0, position.column - 1);
        const selection = editor.getSelection();
        // Jupyter: Tab completes after text, indents at the start of a line or a selection.
        if (cellType === "code" && before.trim() !== "" && selection?.isEmpty()) {
          event.preventDefault();
          event.stopPropagation();
          editor.trigger("keyboard", "editor.action.triggerSuggest", {});
        }
        return;
      }
      if (name === EDITOR_KEYS.inspect.key && cellType === "code" && position) {
        event.preventDefault();
        event.stopPropagation();
        void controller
          .inspect(model.getValue(), model.getOffsetAt(position))
          .then((text) => setHelp(text ?? "No help found for this name."));
        return;
      }
      if (name === "Escape") {
        if (helpRef.current !== null) {
          setHelp(null);
          event.preventDefault();
          event.stopPropagation();
          return;
        }
        if (
          isWidgetOpen(".suggest-widget") ||
          isWidgetOpen(".find-widget") ||
          isWidgetOpen(".parameter-hints-widget")
        )
          return;
      }
      if (
        name === EDITOR_KEYS.previousCell.key &&
        position?.lineNumber === 1 &&
        !isWidgetOpen(".suggest-widget")
      ) {
        const index = store.indexOf(cellId);
        if (index > 0) {
          event.preventDefault();
          event.stopPropagation();
          store.moveActive(-1);
          store.setMode("edit");
          return;
        }
      }
      if (
        name === EDITOR_KEYS.nextCell.key &&
        position?.lineNumber === model.getLineCount() &&
        !isWidgetOpen(".suggest-widget")
      ) {
        const index = store.indexOf(cellId);
        if (index < store.getCellIds().length - 1) {
          event.preventDefault();
          event.stopPropagation();
          store.moveActive(1);
          store.setMode("edit");
          return;
        }
      }
      const command = matcher(name, "edit", COMMANDS);
      if (command) {
        event.preventDefault();
        event.stopPropagation();
        command.run(getCommandContext());
      }
    });
    editor.focus();
    if (clickPoint) {
      const target = editor.getTargetAtClientPoint(clickPoint.x, clickPoint.y);
      if (target?.position) editor.setPosition(target.position);
    } else {
      const lastLine = model.getLineCount();
      editor.setPosition({ lineNumber: lastLine, column: model.getLineMaxColumn(lastLine) });
    }
    // A clicked cell is on screen already; scrolling it into view would only force a layout of
    // the whole page (a long notebook's is the largest part of a new editor's first frame).
    if (!clickPoint) container.scrollIntoView({ block: "nearest" });
    return () => {
      for (const disposable of disposables) disposable.dispose();
      editorRef.current = null;
      editor.dispose();
    };
  }, [monaco, cellId]);

  // Preferences changed here or in another tab apply to the open editor without a reload.
  useEffect(() => {
    editorRef.current?.updateOptions(preferenceOptions(editorFontSize, lineNumbers));
  }, [editorFontSize, lineNumbers]);

  // Monaco's theme is global: one call recolours every editor on the page.
  useEffect(() => {
    monaco?.editor.setTheme(monacoTheme);
  }, [monaco, monacoTheme]);

  // Language follows the cell type (M/Y while editing).
  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (monaco && model && model.getLanguageId() !== language)
      monaco.editor.setModelLanguage(model, language);
  }, [monaco, language]);

  // Changes from outside the editor (find and replace, a reload) reach the model. The prop can be
  // a render behind the editor: on a busy machine keystrokes land between a render and this
  // effect, and are in the model and the store already. Writing the prop back then undid them and
  // put the cursor at the start (typing came out reversed, a closing bracket twice). The store is
  // always current (the model writes to it on every change), so only its text counts.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `source` is the signal that the store changed; its value is read from the store
  useEffect(() => {
    const model = editorRef.current?.getModel();
    const current = store.getCell(cellId)?.source;
    if (model && current !== undefined && model.getValue() !== current) {
      model.pushEditOperations([], [{ range: model.getFullModelRange(), text: current }], () => null);
    }
  }, [source, store, cellId]);

  return (
    <div className="nb-editor-wrap">
      {!monaco && <StaticCode source={source} language={language} findQuery="" isCaseSensitive={false} />}
      <div ref={containerRef} className={monaco ? "nb-editor" : "hidden"} />
      {help !== null && (
        <div role="tooltip" className="nb-help">
          <div className="mb-1 flex items-center justify-between text-xs text-slate-500">
            <span>Help (Esc to close)</span>
            <button type="button" className="nb-link-button" onClick={() => setHelp(null)}>
              Close
            </button>
          </div>
          <pre className="nb-pre max-h-64 overflow-auto">
            <AnsiText text={help} />
          </pre>
        </div>
      )}
    </div>
  );
});
