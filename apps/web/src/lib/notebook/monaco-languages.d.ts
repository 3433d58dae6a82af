// Monaco ships its Monarch grammars without type declarations; these are the two Flint loads.
declare module "monaco-editor/languages/definitions/python/python" {
  import type { languages } from "monaco-editor/editor/editor.api";
  export const conf: languages.LanguageConfiguration;
  export const language: languages.IMonarchLanguage;
}
declare module "monaco-editor/languages/definitions/markdown/markdown" {
  import type { languages } from "monaco-editor/editor/editor.api";
  export const conf: languages.LanguageConfiguration;
  export const language: languages.IMonarchLanguage;
}
