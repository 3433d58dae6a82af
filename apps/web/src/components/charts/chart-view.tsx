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

/** Renders a saved chart's spec with Flint's CSP-safe Vega renderer. */
export function ChartView({ spec, actions = true }: { spec: Record<string, unknown>; actions?: boolean }) {
  return (
    <div data-testid="chart-view">
      <VegaOutput mimeType={mimeTypeOf(spec)} spec={spec} actions={actions} />
    </div>
  );
}
