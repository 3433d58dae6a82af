/**
 * A person's appearance and editor preferences: the schemas the API validates with and the
 * browser reads and writes with (`@flint/api/preferences`; only zod, so the web app can bundle
 * it), and the theme names the pages put on `<html data-theme>`.
 */
import { z } from "zod";

/** Light, dark, or whatever the browser's `prefers-color-scheme` says. */
export const THEMES = ["light", "dark", "system"] as const;
export type TTheme = (typeof THEMES)[number];

/** Font sizes an editor may have, in CSS pixels. */
export const EDITOR_FONT_SIZE = { min: 10, max: 24, default: 13 } as const;

/** One person's preferences, as the API answers them. */
export const ZPreferences = z.object({
  theme: z.enum(THEMES),
  editorFontSize: z.number().int().min(EDITOR_FONT_SIZE.min).max(EDITOR_FONT_SIZE.max),
  lineNumbers: z.boolean(),
});
export type TPreferences = z.infer<typeof ZPreferences>;

/** A change of preferences: any of the fields, nothing else. */
export const ZUpdatePreferencesRequest = z
  .strictObject({
    theme: z.enum(THEMES, { error: `theme must be one of: ${THEMES.join(", ")}` }).optional(),
    editorFontSize: z
      .number({ error: "editorFontSize must be a number of pixels" })
      .int("editorFontSize must be a whole number of pixels")
      .min(EDITOR_FONT_SIZE.min, `editorFontSize must be at least ${EDITOR_FONT_SIZE.min}`)
      .max(EDITOR_FONT_SIZE.max, `editorFontSize must be at most ${EDITOR_FONT_SIZE.max}`)
      .optional(),
    lineNumbers: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: "send at least one of theme, editorFontSize, lineNumbers",
  });
export type TUpdatePreferencesRequest = z.infer<typeof ZUpdatePreferencesRequest>;

/**
 * The request header through which Flint's server hands a page's renderer the signed-in person's
 * preferences (JSON). The server removes any copy a client sent.
 */
export const PREFERENCES_HEADER = "x-flint-preferences";

/** The cookie that remembers this browser's last theme, for pages shown to nobody signed in. */
export const THEME_COOKIE = "flint-theme";

/** What someone who never changed anything gets. */
export const DEFAULT_PREFERENCES: TPreferences = {
  theme: "system",
  editorFontSize: EDITOR_FONT_SIZE.default,
  lineNumbers: false,
};

/**
 * Reads preferences from an untrusted source (a request header set by the server, a cookie):
 * anything invalid falls back to the defaults field by field.
 */
export function parsePreferences(value: unknown): TPreferences {
  const record = value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  return {
    theme: ZPreferences.shape.theme.safeParse(record.theme).data ?? DEFAULT_PREFERENCES.theme,
    editorFontSize:
      ZPreferences.shape.editorFontSize.safeParse(record.editorFontSize).data ??
      DEFAULT_PREFERENCES.editorFontSize,
    lineNumbers:
      ZPreferences.shape.lineNumbers.safeParse(record.lineNumbers).data ?? DEFAULT_PREFERENCES.lineNumbers,
  };
}
