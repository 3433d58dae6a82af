/**
 * Chart builder state: the choices of a point-and-click chart builder, turned into a `%chart`
 * command line and read back from one. Pure; the UI keeps a {@link TChartChoices} in its state,
 * shows {@link validateChoices}' issues next to the controls, and runs
 * {@link buildChartCommand}'s line in the kernel.
 *
 * Aggregates, bins and time units belong to a channel's field: "y = sum of amount" is
 * `y: {column: "amount", aggregate: "sum"}`, "x binned into 30" is `x: {column: "distance", bin: 30}`.
 */

import {
  CHART_AGGREGATES,
  CHART_TIME_UNITS,
  ChartCommandError,
  didYouMean,
  formatField,
  MAX_CHART_BINS,
  NUMERIC_CHART_AGGREGATES,
  parseChartCommandText,
  quoteString,
  type TChartAggregate,
  type TChartChannel,
  type TChartMark,
  type TChartTimeUnit,
  type TFieldExpr,
  type TFieldType,
} from "./chart-command";

/** A column of an `application/vnd.flint.table+json` output: pandas dtype or Spark SQL type. */
export interface TTableColumn {
  name: string;
  type: string;
}

/** The `application/vnd.flint.table+json` output of Flint kernels. */
export interface TTableOutput {
  columns: TTableColumn[];
  rows: unknown[][];
  totalRows: number | null;
  truncated: boolean;
}

/** What a column holds, as far as charts care. */
export type TColumnKind = "quantitative" | "temporal" | "nominal" | "boolean" | "unsupported";

/** One channel's field: a column, optionally aggregated, binned or floored to a time unit. */
export interface TFieldChoice {
  /** The column; absent only for `count()`. */
  column?: string;
  aggregate?: TChartAggregate;
  /** Maximum number of bins (Vega-Lite's default is 10). */
  bin?: number;
  timeUnit?: TChartTimeUnit;
  /** Force a Vega-Lite type (`year:o` reads integer years as categories). */
  type?: TFieldType;
}

/** Single-field channels of the builder. */
export const SINGLE_CHANNELS = ["x", "y", "theta", "color", "size", "shape", "opacity"] as const;
/** A single-field channel. */
export type TSingleChannel = (typeof SINGLE_CHANNELS)[number];

/** Everything a chart builder can choose. */
export interface TChartChoices extends Partial<Record<TSingleChannel, TFieldChoice>> {
  /** The DataFrame variable in the kernel. */
  data: string;
  /** Absent: `%chart` picks (bar for categories and bins, line over time, point otherwise). */
  mark?: TChartMark;
  /** One field (facets wrap) or two (rows, then columns). */
  facet?: TFieldChoice[];
  tooltip?: TFieldChoice[];
  sort?: "x" | "-x" | "y" | "-y";
  title?: string;
  /** A condition in the grammar's filter syntax, e.g. `amount > 0 and region != "EU"`. */
  filter?: string;
  /** Rows shown before sampling (the kernel's default is 5,000). */
  limit?: number;
}

/** A problem with the choices, for the control of `channel` (or the whole chart). */
export interface TChoiceIssue {
  channel?: TSingleChannel | "facet" | "tooltip" | "data" | "mark" | "sort" | "filter" | "limit";
  message: string;
}

/** The result of {@link parseChartCommand}. */
export type TParseResult =
  | { ok: true; choices: TChartChoices }
  | { ok: false; error: { message: string; position: number; length: number } };

/** Most rows `limit(N)` accepts (the renderer refuses specs with more inline rows). */
export const MAX_CHART_LIMIT = 200_000;
const NUMERIC_TYPE =
  /^(u?int\d*|int|integer|bigint|smallint|tinyint|byte|short|long|float\d*|double|real|decimal(\(.*\))?|number|numeric)$/;
const TEMPORAL_TYPE = /^(datetime64.*|date|timestamp(_ntz|_ltz)?|timestamp\b.*|datetime|time)$/;
const NOMINAL_TYPE = /^(str|string|object|category|varchar.*|char.*|text)$/;

/**
 * What a column type means for charts. Understands pandas dtypes (`int64`, `Float64`,
 * `datetime64[ns, UTC]`, `str`, `category`, `bool`) and Spark SQL types (`bigint`, `double`,
 * `decimal(10,2)`, `timestamp`, `date`, `string`, `boolean`, `array<string>`).
 */
export function classifyColumnType(type: string): TColumnKind {
  const t = type.trim().toLowerCase();
  if (t === "bool" || t === "boolean") return "boolean";
  if (NUMERIC_TYPE.test(t)) return "quantitative";
  if (TEMPORAL_TYPE.test(t)) return "temporal";
  if (NOMINAL_TYPE.test(t)) return "nominal";
  return "unsupported";
}

/** Aggregates that make sense for a column of `kind` (`count` and `distinct` for everything). */
export function aggregatesFor(kind: TColumnKind): TChartAggregate[] {
  if (kind === "quantitative") return [...CHART_AGGREGATES];
  if (kind === "temporal") return ["count", "distinct", "min", "max"];
  return ["count", "distinct"];
}

/** Time units for a column of `kind`: all for dates and timestamps (and strings, parsed), none otherwise. */
export function timeUnitsFor(kind: TColumnKind): TChartTimeUnit[] {
  return kind === "temporal" || kind === "nominal" ? [...CHART_TIME_UNITS] : [];
}

function formatChoice(choice: TFieldChoice): string {
  const field: Omit<TFieldExpr, "span"> = {};
  if (choice.column !== undefined) field.column = choice.column;
  if (choice.aggregate) field.aggregate = choice.aggregate;
  else if (choice.bin !== undefined) field.bin = choice.bin;
  else if (choice.timeUnit) field.timeUnit = choice.timeUnit;
  if (choice.type) field.type = choice.type;
  return formatField(field);
}

const ORDER: readonly TSingleChannel[] = ["x", "y", "theta", "color", "size", "shape", "opacity"];

/**
 * The `%chart` line for `choices`, e.g. `%chart data(sales) bar x(region) y(sum(amount))`.
 * Column names that are not plain identifiers are backquoted; the title is quoted.
 */
export function buildChartCommand(choices: TChartChoices): string {
  const parts = ["%chart", `data(${choices.data})`];
  if (choices.mark) parts.push(choices.mark);
  for (const channel of ORDER) {
    const choice = choices[channel];
    if (choice && (choice.column !== undefined || choice.aggregate === "count")) {
      parts.push(`${channel}(${formatChoice(choice)})`);
    }
  }
  if (choices.facet?.length) parts.push(`facet(${choices.facet.map(formatChoice).join(", ")})`);
  if (choices.tooltip?.length) parts.push(`tooltip(${choices.tooltip.map(formatChoice).join(", ")})`);
  if (choices.sort) parts.push(`sort(${choices.sort})`);
  if (choices.filter?.trim()) parts.push(`filter(${choices.filter.trim()})`);
  if (choices.title) parts.push(`title(${quoteString(choices.title)})`);
  if (choices.limit !== undefined) parts.push(`limit(${choices.limit})`);
  return parts.join(" ");
}

function toChoice(field: TFieldExpr): TFieldChoice {
  const choice: TFieldChoice = {};
  if (field.column !== undefined) choice.column = field.column;
  if (field.aggregate) choice.aggregate = field.aggregate;
  if (field.bin !== undefined) choice.bin = field.bin;
  if (field.timeUnit) choice.timeUnit = field.timeUnit;
  if (field.type) choice.type = field.type;
  return choice;
}

/**
 * Reads a `%chart` line (as found in an output's `application/vnd.flint.chart+json` `command`)
 * back into choices; a command without `data(...)` is an error here, as in the kernel.
 */
export function parseChartCommand(line: string): TParseResult {
  try {
    const cmd = parseChartCommandText(line);
    if (cmd.data === undefined) {
      return { ok: false, error: { message: "missing data(NAME)", position: line.length, length: 1 } };
    }
    const choices: TChartChoices = { data: cmd.data };
    if (cmd.mark) choices.mark = cmd.mark;
    for (const [channel, fields] of Object.entries(cmd.encodings) as [TChartChannel, TFieldExpr[]][]) {
      if (channel === "facet" || channel === "tooltip") choices[channel] = fields.map(toChoice);
      else if (fields[0]) choices[channel] = toChoice(fields[0]);
    }
    if (cmd.sort) choices.sort = `${cmd.sort.descending ? "-" : ""}${cmd.sort.channel}`;
    if (cmd.filter !== undefined) choices.filter = cmd.filter;
    if (cmd.title !== undefined) choices.title = cmd.title;
    if (cmd.limit !== undefined) choices.limit = cmd.limit;
    return { ok: true, choices };
  } catch (error) {
    if (error instanceof ChartCommandError) {
      return { ok: false, error: { message: error.message, position: error.position, length: error.length } };
    }
    throw error;
  }
}

/**
 * Problems the kernel would report for `choices` over a table with `columns`, found before
 * running anything: unknown columns (with "did you mean"), aggregates, bins and time units
 * that do not fit a column's type, channels a mark does not use.
 */
export function validateChoices(choices: TChartChoices, columns: readonly TTableColumn[]): TChoiceIssue[] {
  const issues: TChoiceIssue[] = [];
  const kinds = new Map(columns.map((c) => [c.name, classifyColumnType(c.type)] as const));
  const names = columns.map((c) => c.name);
  if (!/^[\p{L}_][\p{L}\p{N}_]*$/u.test(choices.data)) {
    issues.push({ channel: "data", message: "choose the DataFrame variable to chart" });
  }
  const check = (channel: TChoiceIssue["channel"] & string, choice: TFieldChoice): void => {
    if (choice.column === undefined) {
      if (choice.aggregate !== "count") issues.push({ channel, message: "choose a column" });
      return;
    }
    const kind = kinds.get(choice.column);
    if (kind === undefined) {
      issues.push({
        channel,
        message: `unknown column '${choice.column}'${didYouMean(choice.column, names)}`,
      });
      return;
    }
    const type = columns.find((c) => c.name === choice.column)?.type ?? "";
    if (kind === "unsupported") {
      issues.push({ channel, message: `'${choice.column}' has type ${type}, which cannot be charted` });
      return;
    }
    if (choice.aggregate && !aggregatesFor(kind).includes(choice.aggregate)) {
      const needs = NUMERIC_CHART_AGGREGATES.includes(choice.aggregate)
        ? "a numeric column"
        : "a number or a date";
      issues.push({
        channel,
        message: `${choice.aggregate}(${choice.column}) needs ${needs}; '${choice.column}' is ${type}`,
      });
    }
    if (choice.bin !== undefined) {
      if (channel !== "x" && channel !== "y") issues.push({ channel, message: "bins work on x and y only" });
      else if (kind !== "quantitative")
        issues.push({ channel, message: `bin(${choice.column}) needs a numeric column` });
      if (!Number.isInteger(choice.bin) || choice.bin < 1 || choice.bin > MAX_CHART_BINS) {
        issues.push({
          channel,
          message: `the number of bins must be a whole number from 1 to ${MAX_CHART_BINS}`,
        });
      }
    }
    if (choice.timeUnit && !timeUnitsFor(kind).includes(choice.timeUnit)) {
      issues.push({
        channel,
        message: `${choice.timeUnit}(${choice.column}) needs a date or timestamp column`,
      });
    }
  };
  for (const channel of SINGLE_CHANNELS) {
    const choice = choices[channel];
    if (choice) check(channel, choice);
  }
  for (const facet of choices.facet ?? []) {
    if (facet.aggregate)
      issues.push({ channel: "facet", message: "facets split by a column; they cannot be aggregates" });
    else check("facet", facet);
  }
  for (const tip of choices.tooltip ?? []) check("tooltip", tip);
  if ((choices.facet?.length ?? 0) > 2)
    issues.push({ channel: "facet", message: "facet takes at most 2 fields" });
  const drawn = (["x", "y", "theta"] as const).some((c) => choices[c] !== undefined);
  if (!drawn) issues.push({ message: "choose at least x or y" });
  if (choices.mark === "arc") {
    if (choices.x) issues.push({ channel: "x", message: "an arc chart uses theta (or y) and color, not x" });
    if (choices.y && choices.theta)
      issues.push({ channel: "y", message: "give either theta or y for an arc chart" });
  } else if (choices.theta) {
    issues.push({ channel: "theta", message: "theta is only for arc charts" });
  }
  if (choices.mark === "boxplot") {
    for (const channel of SINGLE_CHANNELS) {
      if (choices[channel]?.aggregate) {
        issues.push({ channel, message: "a boxplot computes its statistics itself: choose a plain column" });
      }
    }
    const numeric = (c?: TFieldChoice) =>
      c?.column !== undefined &&
      kinds.get(c.column) === "quantitative" &&
      !c.aggregate &&
      !c.bin &&
      !c.timeUnit;
    if (!numeric(choices.y) && !numeric(choices.x)) {
      issues.push({
        channel: "y",
        message: "a boxplot needs a numeric column on y (or on x for horizontal boxes)",
      });
    }
  }
  if (choices.sort && !choices[choices.sort.replace("-", "") as "x" | "y"]) {
    issues.push({ channel: "sort", message: `sort(${choices.sort}) needs ${choices.sort.replace("-", "")}` });
  }
  if (
    choices.limit !== undefined &&
    !(Number.isInteger(choices.limit) && choices.limit >= 1 && choices.limit <= MAX_CHART_LIMIT)
  ) {
    issues.push({
      channel: "limit",
      message: `the limit must be a whole number from 1 to ${MAX_CHART_LIMIT.toLocaleString("en-US")}`,
    });
  }
  const filter = choices.filter?.trim();
  if (filter) {
    const parsed = parseChartCommand(`data(d) x(a) filter(${filter})`);
    if (!parsed.ok) issues.push({ channel: "filter", message: parsed.error.message });
    // "a > 1) color(b" parses, but as more than the filter: the text must be one condition.
    else if (parsed.choices.filter !== filter)
      issues.push({ channel: "filter", message: "the filter must be one condition" });
  }
  return issues;
}

/**
 * A first chart for a table, as a builder would open it: a line of a measure over time if there
 * is a date column, bars of a sum per category if there is a text column, else a scatter of the
 * first two numbers, else a histogram of the only number, else a count per value.
 */
export function suggestChoices(data: string, columns: readonly TTableColumn[]): TChartChoices {
  const of = (kind: TColumnKind) =>
    columns.filter((c) => classifyColumnType(c.type) === kind).map((c) => c.name);
  const numbers = of("quantitative");
  const times = of("temporal");
  const categories = [...of("nominal"), ...of("boolean")];
  if (times[0] !== undefined) {
    return {
      data,
      mark: "line",
      x: { column: times[0], timeUnit: "yearmonthdate" },
      y: numbers[0] !== undefined ? { column: numbers[0], aggregate: "mean" } : { aggregate: "count" },
    };
  }
  if (categories[0] !== undefined && numbers[0] !== undefined) {
    return { data, mark: "bar", x: { column: categories[0] }, y: { column: numbers[0], aggregate: "sum" } };
  }
  if (numbers[0] !== undefined && numbers[1] !== undefined) {
    return { data, mark: "point", x: { column: numbers[0] }, y: { column: numbers[1] } };
  }
  if (numbers[0] !== undefined)
    return { data, mark: "bar", x: { column: numbers[0], bin: 30 }, y: { aggregate: "count" } };
  const first = columns[0]?.name;
  return first !== undefined
    ? { data, mark: "bar", x: { column: first }, y: { aggregate: "count" } }
    : { data };
}
