/**
 * Browser-only part of `@flint/charts`: the React renderer of Vega and Vega-Lite outputs and its
 * guarded loader. Import from `@flint/charts/client` in client components only.
 */

export { DARK_CHART_CONFIG, type TChartTheme, usePageColorScheme } from "./color-scheme";
export { createGuardedLoader, type TGuardedLoaderOptions } from "./guarded-loader";
export { type TVegaOutputStatus, VegaOutput, type VegaOutputProps } from "./vega-output";
