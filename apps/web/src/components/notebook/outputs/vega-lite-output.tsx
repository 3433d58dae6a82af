// Slot for Vega-Lite charts (Altair's `application/vnd.vegalite.v5+json` and
// `application/vnd.vegalite.v6.json`). The charts package fills this in with vega-embed in its
// CSP-safe interpreter mode; until then the chart's text/plain fallback is shown, never the spec
// run as code.
import { memo } from "react";

export type TVegaLiteOutputProps = {
  /** The Vega-Lite spec (a JSON value; validate before use). */
  spec: unknown;
  /** Which Vega-Lite MIME type carried it. */
  mime: string;
  /** The bundle's text/plain, shown until the renderer exists. */
  fallbackText: string | null;
};

export const VegaLiteOutput = memo(function VegaLiteOutput({ mime, fallbackText }: TVegaLiteOutputProps) {
  return (
    <div className="nb-output-vegalite">
      <p className="mb-1 text-xs text-slate-500">Chart ({mime}): chart rendering is not available yet.</p>
      {fallbackText && <pre className="nb-pre">{fallbackText}</pre>}
    </div>
  );
});
