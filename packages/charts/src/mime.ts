/**
 * MIME types of chart outputs and what they say about the spec inside.
 *
 * Altair 5 emits `application/vnd.vegalite.v5+json`, Altair 6 `application/vnd.vegalite.v6.json`
 * (no `+`), Flint's `%chart` `application/vnd.vegalite.v6+json`: all spellings are accepted.
 */

/** The MIME type `%chart` emits its Vega-Lite spec under. */
export const VEGALITE_V6_MIME = "application/vnd.vegalite.v6+json";
/** The sibling entry of a `%chart` output: `{command, source, kind, ...}` to reopen it in the builder. */
export const FLINT_CHART_MIME = "application/vnd.flint.chart+json";
/** The table output of Flint kernels, which the chart builder reads columns from. */
export const FLINT_TABLE_MIME = "application/vnd.flint.table+json";

/** Which library a spec is written for. */
export type TSpecMode = "vega-lite" | "vega";

/** What a chart MIME type says: the library and its major version. */
export interface TChartMimeInfo {
  mode: TSpecMode;
  majorVersion: number;
}

const CHART_MIME = /^application\/vnd\.(vegalite|vega)\.v(\d+)(\+json|\.json)$/;

/** Major versions the renderer draws (Vega-Lite 5/6 compile with Vega-Lite 6; Vega 5/6 with Vega 6). */
export const SUPPORTED_MAJOR_VERSIONS: Readonly<Record<TSpecMode, readonly number[]>> = {
  "vega-lite": [5, 6],
  vega: [5, 6],
};

/**
 * Parses a chart MIME type, e.g. `application/vnd.vegalite.v6.json` → `{mode: "vega-lite", majorVersion: 6}`.
 * Returns `null` for anything that is not a Vega or Vega-Lite MIME type of a supported version.
 */
export function parseChartMimeType(mimeType: string): TChartMimeInfo | null {
  const match = CHART_MIME.exec(mimeType.trim().toLowerCase());
  if (!match) return null;
  const mode: TSpecMode = match[1] === "vegalite" ? "vega-lite" : "vega";
  const majorVersion = Number(match[2]);
  return SUPPORTED_MAJOR_VERSIONS[mode].includes(majorVersion) ? { mode, majorVersion } : null;
}

/** True for every MIME type {@link parseChartMimeType} accepts (for renderer registries). */
export function isChartMimeType(mimeType: string): boolean {
  return parseChartMimeType(mimeType) !== null;
}
