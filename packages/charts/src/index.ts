/**
 * `@flint/charts`: the `%chart` command grammar, chart builder state and the spec guard. Pure and
 * usable anywhere; the React renderer is in `@flint/charts/client`, the dataset server in
 * `@flint/charts/server`.
 */

export {
  aggregatesFor,
  buildChartCommand,
  classifyColumnType,
  MAX_CHART_LIMIT,
  parseChartCommand,
  SINGLE_CHANNELS,
  suggestChoices,
  type TChartChoices,
  type TChoiceIssue,
  type TColumnKind,
  type TFieldChoice,
  type TParseResult,
  type TSingleChannel,
  type TTableColumn,
  type TTableOutput,
  timeUnitsFor,
  validateChoices,
} from "./builder";
export {
  CHART_AGGREGATES,
  CHART_CHANNELS,
  CHART_MARKS,
  CHART_TIME_UNITS,
  ChartCommandError,
  parseChartCommandText,
  quoteColumn,
  type TChartAggregate,
  type TChartChannel,
  type TChartCommand,
  type TChartMark,
  type TChartTimeUnit,
  type TFieldExpr,
  type TFieldType,
} from "./chart-command";
export {
  FLINT_CHART_MIME,
  FLINT_TABLE_MIME,
  isChartMimeType,
  parseChartMimeType,
  type TChartMimeInfo,
  type TSpecMode,
  VEGALITE_V6_MIME,
} from "./mime";
export {
  checkExpression,
  classifyChartLink,
  DEFAULT_ALLOWED_DATA_PREFIXES,
  DEFAULT_DATA_URL_POLICY,
  DEFAULT_SPEC_LIMITS,
  guardSpec,
  resolveDataUrl,
  sanitizeHref,
  type TChartLink,
  type TDataUrlPolicy,
  type TDataUrlResult,
  type TGuardError,
  type TGuardOptions,
  type TGuardResult,
  type TSpecLimits,
  VEGA_DATASETS_BASE,
} from "./spec-guard";
