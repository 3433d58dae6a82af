// Sizes of code derived from the editor font size preference; shared by the server's first
// render (root layout) and the browser (editors, the preferences provider).
import type { TPreferences } from "@flint/api/preferences";

/** Line height of code for a font size: 13 px gives the 20 px Jupyter users know. */
export function editorLineHeight(fontSize: number): number {
  return Math.ceil(fontSize * 1.5);
}

/** The CSS variables of <html> that size static code like the editor (see notebook.css). */
export function editorCssVariables(preferences: TPreferences): Record<string, string> {
  return {
    "--flint-editor-font-size": `${preferences.editorFontSize}px`,
    "--flint-editor-line-height": `${editorLineHeight(preferences.editorFontSize)}px`,
  };
}
