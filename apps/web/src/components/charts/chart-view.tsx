"use client";
import { VegaOutput } from "@flint/charts/client";

/** The MIME type a saved spec renders as: Vega when its $schema says so, else Vega-Lite v6. */
function mimeTypeOf(spec: Record<string, unknown>): string {
  const schema = typeof spec.$schema === "string" ? spec.$schema : "";
  if (/\/vega\/v5/.test(schema)) return "application/vnd.vega.v5+json";
  if (/\/vega\/v6/.test(schema)) return "application/vnd.vega.v6+json";
  if (/vega-lite\/v5/.test(schema)) return "application/vnd.vegalite.v5+json";
  return "application/vnd.vegalite.v6+json";
}

/**
 * Renders a saved chart's spec with Flint's CSP-safe Vega renderer. `fit` draws the whole chart
 * scaled down into the box around it (thumbnails).
 */
export function ChartView({
  spec,
  actions = true,
  fit = false,
}: {
  spec: Record<string, unknown>;
  actions?: boolean;
  fit?: boolean;
}) {
  return (
    <div data-testid="chart-view" className={fit ? "h-full" : undefined}>
      <VegaOutput mimeType={mimeTypeOf(spec)} spec={spec} actions={actions} fit={fit} />
    </div>
  );
}
