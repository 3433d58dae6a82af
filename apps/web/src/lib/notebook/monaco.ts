// Monaco, bundled locally with only what a notebook cell needs: the core editor API, Python and
// markdown tokenizers, and the editor features users expect (suggest, hover, find, comments ...).
// Loaded with a dynamic import so the notebook page paints before the editor's ~3 MB arrive.
import * as monaco from "monaco-editor/editor/editor.api";
import "monaco-editor/editor/browser/coreCommands";
// The suggest widget itself (features/suggest/register only brings inline completions).
import "monaco-editor/editor/contrib/suggest/browser/suggestController";
import "monaco-editor/features/bracketMatching/register";
import "monaco-editor/features/codicon/register";
import "monaco-editor/features/clipboard/register";
import "monaco-editor/features/comment/register";
import "monaco-editor/features/cursorUndo/register";
import "monaco-editor/features/find/register";
import "monaco-editor/features/hover/register";
import "monaco-editor/features/indentation/register";
import "monaco-editor/features/linesOperations/register";
import "monaco-editor/features/multicursor/register";
import "monaco-editor/features/parameterHints/register";
import "monaco-editor/features/smartSelect/register";
import "monaco-editor/features/snippet/register";
import "monaco-editor/features/suggest/register";
import "monaco-editor/features/wordHighlighter/register";
import "monaco-editor/features/wordOperations/register";
import * as markdown from "monaco-editor/languages/definitions/markdown/markdown";
import * as python from "monaco-editor/languages/definitions/python/python";

type TMonacoEnvironment = { getWorker: (workerId: string, label: string) => Worker };

// Monaco asks for a worker per label; without language services every label is the editor worker.
(globalThis as { MonacoEnvironment?: TMonacoEnvironment }).MonacoEnvironment = {
  getWorker: () => new Worker(new URL("./editor-worker.ts", import.meta.url), { type: "module" }),
};

// Registered eagerly (not through Monaco's lazy loaders) so `tokenize` can highlight the static
// text of inactive cells as soon as Monaco is here.
for (const [id, grammar] of [
  ["python", python],
  ["markdown", markdown],
] as const) {
  monaco.languages.register({ id });
  monaco.languages.setLanguageConfiguration(id, grammar.conf);
  monaco.languages.setMonarchTokensProvider(id, grammar.language);
}

monaco.editor.defineTheme("flint-light", {
  base: "vs",
  inherit: true,
  rules: [],
  colors: {
    "editor.background": "#f8fafc",
    "editor.lineHighlightBackground": "#f1f5f9",
    "editorLineNumber.foreground": "#94a3b8",
  },
});

// The dark theme's editor sits on the same slate as dark cells (globals.css).
monaco.editor.defineTheme("flint-dark", {
  base: "vs-dark",
  inherit: true,
  rules: [],
  colors: {
    "editor.background": "#020617",
    "editor.lineHighlightBackground": "#0f172a",
    "editorLineNumber.foreground": "#64748b",
  },
});

export { monaco };
export type TMonaco = typeof monaco;
