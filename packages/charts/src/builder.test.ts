import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  buildChartCommand,
  classifyColumnType,
  parseChartCommand,
  suggestChoices,
  type TChartChoices,
  type TTableColumn,
  validateChoices,
} from "./builder";
import { ChartCommandError, parseChartCommandText } from "./chart-command";

const shared = JSON.parse(readFileSync(new URL("../test/chart-commands.json", import.meta.url), "utf8")) as {
  valid: string[];
  invalid: { command: string; position: number }[];
};

const EXAMPLES: [string, TChartChoices][] = [
  [
    "%chart data(df) x(VOLUME) y(WEIGHT) color(AUTH)",
    { data: "df", x: { column: "VOLUME" }, y: { column: "WEIGHT" }, color: { column: "AUTH" } },
  ],
  [
    "%chart data(sales) bar x(region) y(sum(amount)) color(year)",
    {
      data: "sales",
      mark: "bar",
      x: { column: "region" },
      y: { column: "amount", aggregate: "sum" },
      color: { column: "year" },
    },
  ],
  [
    "%chart data(trips) x(bin(distance, 30)) y(count())",
    { data: "trips", x: { column: "distance", bin: 30 }, y: { aggregate: "count" } },
  ],
  [
    "%chart data(events) line x(month(ts)) y(mean(latency)) facet(service)",
    {
      data: "events",
      mark: "line",
      x: { column: "ts", timeUnit: "month" },
      y: { column: "latency", aggregate: "mean" },
      facet: [{ column: "service" }],
    },
  ],
];

describe("buildChartCommand / parseChartCommand", () => {
  it.each(EXAMPLES)("builds and reads back %s", (line, choices) => {
    expect(buildChartCommand(choices)).toBe(line);
    expect(parseChartCommand(line)).toEqual({ ok: true, choices });
  });

  it("round-trips everything a builder can choose, quoting odd names and titles", () => {
    const choices: TChartChoices = {
      data: "df",
      mark: "area",
      x: { column: "event time", timeUnit: "yearmonth" },
      y: { column: "lat.ms", aggregate: "median" },
      color: { column: "year", type: "ordinal" },
      size: { column: "it`s" },
      facet: [{ column: "region" }, { column: "team" }],
      tooltip: [{ column: "a" }, { aggregate: "count" }],
      sort: "-y",
      filter: `amount > 0 and region != "EU"`,
      title: 'Latency "p50"\nby month',
      limit: 20000,
    };
    const line = buildChartCommand(choices);
    expect(line).toBe(
      "%chart data(df) area x(yearmonth(`event time`)) y(median(`lat.ms`)) color(year:o) size(`it``s`) " +
        'facet(region, team) tooltip(a, count()) sort(-y) filter(amount > 0 and region != "EU") ' +
        'title("Latency \\"p50\\"\\nby month") limit(20000)',
    );
    expect(parseChartCommand(line)).toEqual({ ok: true, choices });
  });

  it("keeps the default bin count implicit and reads aliases as their canonical names", () => {
    expect(buildChartCommand({ data: "d", x: { column: "a", bin: 10 }, y: { aggregate: "count" } })).toBe(
      "%chart data(d) x(bin(a)) y(count())",
    );
    const parsed = parseChartCommand("data(d) x(hour(ts)) y(avg(v))");
    expect(parsed).toEqual({
      ok: true,
      choices: { data: "d", x: { column: "ts", timeUnit: "hours" }, y: { column: "v", aggregate: "mean" } },
    });
  });

  it("reports the position of a mistake in the full line", () => {
    const line = "%chart data(df) x(VOLUME y(WEIGHT)";
    const parsed = parseChartCommand(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.message).toBe(`expected ')' to close x(, found "y"`);
      expect(line.slice(parsed.error.position)).toBe("y(WEIGHT)");
    }
    const unknown = parseChartCommand("%chart data(df) colour(AUTH) x(a)");
    expect(unknown).toMatchObject({
      ok: false,
      error: { message: "unknown clause 'colour'; did you mean 'color'?" },
    });
    expect(parseChartCommand("%chart x(a)")).toMatchObject({
      ok: false,
      error: { message: "missing data(NAME)" },
    });
  });

  it.each(shared.valid)("agrees with the kernel's parser on valid %j", (text) => {
    expect(() => parseChartCommandText(text)).not.toThrow();
  });

  it.each(shared.invalid)(
    "agrees with the kernel's parser on the error position of $command",
    ({ command, position }) => {
      let error: unknown;
      try {
        parseChartCommandText(command);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ChartCommandError);
      expect((error as ChartCommandError).position).toBe(position);
    },
  );
});

describe("classifyColumnType", () => {
  it.each([
    ["int64", "quantitative"],
    ["Int64", "quantitative"],
    ["float64", "quantitative"],
    ["bigint", "quantitative"],
    ["double", "quantitative"],
    ["decimal(10,2)", "quantitative"],
    ["datetime64[ns]", "temporal"],
    ["datetime64[ns, UTC]", "temporal"],
    ["timestamp", "temporal"],
    ["timestamp_ntz", "temporal"],
    ["date", "temporal"],
    ["str", "nominal"],
    ["string", "nominal"],
    ["object", "nominal"],
    ["category", "nominal"],
    ["bool", "boolean"],
    ["boolean", "boolean"],
    ["array<string>", "unsupported"],
    ["struct<a:int>", "unsupported"],
    ["timedelta64[ns]", "unsupported"],
  ])("%s is %s", (type, kind) => {
    expect(classifyColumnType(type)).toBe(kind);
  });
});

const COLUMNS: TTableColumn[] = [
  { name: "region", type: "str" },
  { name: "amount", type: "float64" },
  { name: "year", type: "int64" },
  { name: "ts", type: "datetime64[ns]" },
  { name: "tags", type: "array<string>" },
];

describe("validateChoices", () => {
  it("accepts a sensible chart", () => {
    expect(
      validateChoices(
        { data: "sales", mark: "bar", x: { column: "region" }, y: { column: "amount", aggregate: "sum" } },
        COLUMNS,
      ),
    ).toEqual([]);
  });

  it("finds what the kernel would refuse", () => {
    const messages = (choices: TChartChoices) => validateChoices(choices, COLUMNS).map((i) => i.message);
    expect(messages({ data: "s", x: { column: "regoin" } })).toEqual([
      "unknown column 'regoin'; did you mean 'region'?",
    ]);
    expect(messages({ data: "s", x: { column: "region", aggregate: "sum" } })).toEqual([
      "sum(region) needs a numeric column; 'region' is str",
    ]);
    expect(messages({ data: "s", x: { column: "region", bin: 10 } })).toEqual([
      "bin(region) needs a numeric column",
    ]);
    expect(messages({ data: "s", color: { column: "amount", bin: 10 }, x: { column: "year" } })).toEqual([
      "bins work on x and y only",
    ]);
    expect(messages({ data: "s", x: { column: "amount", timeUnit: "month" } })).toEqual([
      "month(amount) needs a date or timestamp column",
    ]);
    expect(messages({ data: "s", x: { column: "tags" } })).toEqual([
      "'tags' has type array<string>, which cannot be charted",
    ]);
    expect(messages({ data: "s", color: { column: "region" } })).toEqual(["choose at least x or y"]);
    expect(messages({ data: "s", mark: "arc", x: { column: "region" }, y: { column: "amount" } })).toEqual([
      "an arc chart uses theta (or y) and color, not x",
    ]);
    expect(
      messages({
        data: "s",
        mark: "boxplot",
        x: { column: "region" },
        y: { column: "amount", aggregate: "mean" },
      }),
    ).toEqual([
      "a boxplot computes its statistics itself: choose a plain column",
      "a boxplot needs a numeric column on y (or on x for horizontal boxes)",
    ]);
    expect(messages({ data: "s", x: { column: "region" }, sort: "-y" })).toEqual(["sort(-y) needs y"]);
    expect(messages({ data: "s", x: { column: "region" }, limit: 1_000_000 })).toEqual([
      "the limit must be a whole number from 1 to 200,000",
    ]);
    expect(messages({ data: "s", x: { column: "region" }, filter: "amount >" })).toEqual([
      `expected a value (a number, a quoted string, true, false or null), found ")"`,
    ]);
    expect(messages({ data: "s", x: { column: "region" }, filter: "amount > 1) color(region" })).toEqual([
      "the filter must be one condition",
    ]);
    expect(messages({ data: "", x: { column: "region" } })).toEqual([
      "choose the DataFrame variable to chart",
    ]);
  });
});

describe("suggestChoices", () => {
  it("starts from what the table holds", () => {
    expect(suggestChoices("events", COLUMNS)).toEqual({
      data: "events",
      mark: "line",
      x: { column: "ts", timeUnit: "yearmonthdate" },
      y: { column: "amount", aggregate: "mean" },
    });
    const noTime = COLUMNS.filter((c) => c.name !== "ts");
    expect(suggestChoices("sales", noTime)).toMatchObject({ mark: "bar", x: { column: "region" } });
    expect(
      suggestChoices("pts", [
        { name: "a", type: "double" },
        { name: "b", type: "double" },
      ]),
    ).toEqual({
      data: "pts",
      mark: "point",
      x: { column: "a" },
      y: { column: "b" },
    });
    const single = suggestChoices("t", [{ name: "d", type: "double" }]);
    expect(buildChartCommand(single)).toBe("%chart data(t) bar x(bin(d, 30)) y(count())");
    for (const choices of [suggestChoices("events", COLUMNS), single]) {
      expect(validateChoices(choices, COLUMNS.concat({ name: "d", type: "double" }))).toEqual([]);
    }
  });
});
