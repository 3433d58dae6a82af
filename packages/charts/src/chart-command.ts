/**
 * The `%chart` command grammar in TypeScript: the same tokenizer and parser as the kernel's
 * `flint.chart.grammar` (Python), so the chart builder can read a command back into choices and
 * point at a mistake before the command reaches the kernel. The grammar is in the README.
 */

// The vocabulary is data shared with the kernel's Python parser (`flint.chart.grammar`): it lives
// in the Python package because the kernel must ship it, and both parsers read the one file.
import vocabulary from "../../python/flint/chart/vocabulary.json";

/** A mark of `%chart`. */
export type TChartMark = keyof typeof vocabulary.marks;
/** Marks `%chart` draws. */
export const CHART_MARKS = Object.keys(vocabulary.marks) as readonly TChartMark[];

/** A channel of `%chart`. */
export type TChartChannel = keyof typeof vocabulary.channels;
/** Channels and how many fields each takes. */
export const CHART_CHANNELS = Object.fromEntries(
  Object.entries(vocabulary.channels).map(([name, spec]) => [name, spec.maxFields]),
) as Readonly<Record<TChartChannel, number>>;

/** An aggregate of `%chart`. */
export type TChartAggregate = keyof typeof vocabulary.aggregates;
/** Aggregates of `%chart`. */
export const CHART_AGGREGATES = Object.keys(vocabulary.aggregates) as readonly TChartAggregate[];
/** Aggregates that need numbers (the sum of a string column means nothing). */
export const NUMERIC_CHART_AGGREGATES = CHART_AGGREGATES.filter(
  (name) => vocabulary.aggregates[name].numeric,
);

/** A time unit of `%chart`. */
export type TChartTimeUnit = keyof typeof vocabulary.timeUnits;
/** Time units of `%chart` (Vega-Lite's names; `week` starts on Sunday). */
export const CHART_TIME_UNITS = Object.keys(vocabulary.timeUnits) as readonly TChartTimeUnit[];

/** Vega-Lite field types that `name:q` and friends set explicitly. */
export type TFieldType = keyof typeof vocabulary.types;

/** Maximum number of bins `bin(column)` asks for when the command gives none. */
export const DEFAULT_CHART_BINS = vocabulary.bins.default;
/** Most bins `bin(column, N)` accepts. */
export const MAX_CHART_BINS = vocabulary.bins.max;

function aliasesOf<TName extends string>(words: Record<TName, { aliases: string[] }>): Record<string, TName> {
  const out: Record<string, TName> = {};
  for (const [name, spec] of Object.entries(words) as [TName, { aliases: string[] }][]) {
    for (const alias of spec.aliases) out[alias] = name;
  }
  return out;
}

const AGGREGATE_ALIASES = aliasesOf<TChartAggregate>(vocabulary.aggregates);
const TIME_UNIT_ALIASES = aliasesOf<TChartTimeUnit>(vocabulary.timeUnits);
// `q` and `quantitative` alike -> the Vega-Lite type.
const TYPES: Record<string, TFieldType> = Object.fromEntries(
  (Object.entries(vocabulary.types) as [TFieldType, { short: string }][]).flatMap(([name, spec]) => [
    [spec.short, name],
    [name, name],
  ]),
);
const TYPE_HINTS = Object.entries(vocabulary.types).map(([name, spec]) => `${spec.short} (${name})`);
const TYPE_HINT = `${TYPE_HINTS.slice(0, -1).join(", ")} or ${TYPE_HINTS.at(-1)}`;
const CLAUSES = ["data", ...Object.keys(CHART_CHANNELS), "sort", "title", "filter", "limit"];
const KEYWORDS = new Set(vocabulary.keywords);
// Longest first, so `<=` is one token and not `<` then `=`.
const OPERATORS = [...vocabulary.comparisons].sort((a, b) => b.length - a.length);
const ESCAPES: Record<string, string> = vocabulary.escapes;

/** A problem in a command, at `position` (0-based offset into the command text). */
export class ChartCommandError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly length = 1,
  ) {
    super(message);
    this.name = "ChartCommandError";
  }
}

/** A range `[start, end)` of the command text. */
export interface TSpan {
  start: number;
  end: number;
}

/** A field of a channel: a column, an aggregate (`count()` has no column), a bin or a time unit. */
export interface TFieldExpr {
  column?: string;
  aggregate?: TChartAggregate;
  /** Maximum number of bins when binned. */
  bin?: number;
  timeUnit?: TChartTimeUnit;
  type?: TFieldType;
  span: TSpan;
}

/** A parsed command. `filter` keeps the condition's text as written (it was checked to parse). */
export interface TChartCommand {
  data?: string;
  mark?: TChartMark;
  encodings: Partial<Record<TChartChannel, TFieldExpr[]>>;
  sort?: { channel: "x" | "y"; descending: boolean };
  title?: string;
  filter?: string;
  limit?: number;
}

interface TToken {
  kind: "NAME" | "QNAME" | "NUMBER" | "STRING" | "OP" | "PUNCT" | "EOF";
  text: string;
  value: string | number | null;
  start: number;
  end: number;
}

const isLetter = (ch: string): boolean => /[\p{L}_]/u.test(ch);
const isWordChar = (ch: string): boolean => /[\p{L}\p{N}_]/u.test(ch);
const isDigit = (ch: string): boolean => ch >= "0" && ch <= "9";

function tokenize(text: string): TToken[] {
  const tokens: TToken[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (isLetter(ch)) {
      while (i < text.length && isWordChar(text[i]!)) i++;
      const word = text.slice(start, i);
      tokens.push({ kind: "NAME", text: word, value: word, start, end: i });
    } else if (isDigit(ch) || (ch === "." && isDigit(text[i + 1] ?? ""))) {
      while (isDigit(text[i] ?? "")) i++;
      if (text[i] === ".") {
        i++;
        while (isDigit(text[i] ?? "")) i++;
      }
      if (text[i] === "e" || text[i] === "E") {
        let j = i + 1;
        if (text[j] === "+" || text[j] === "-") j++;
        if (isDigit(text[j] ?? "")) {
          i = j;
          while (isDigit(text[i] ?? "")) i++;
        }
      }
      if (i < text.length && isLetter(text[i]!))
        throw new ChartCommandError("a name cannot start with a digit", i);
      const literal = text.slice(start, i);
      tokens.push({ kind: "NUMBER", text: literal, value: Number(literal), start, end: i });
    } else if (ch === '"' || ch === "'") {
      let out = "";
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === "\\" && i + 1 < text.length) {
          const next = text[i + 1]!;
          out += ESCAPES[next] ?? `\\${next}`;
          i += 2;
          continue;
        }
        if (c === ch) {
          closed = true;
          i++;
          break;
        }
        out += c;
        i++;
      }
      if (!closed) throw new ChartCommandError("unterminated string", start, text.length - start);
      tokens.push({ kind: "STRING", text: text.slice(start, i), value: out, start, end: i });
    } else if (ch === "`") {
      let end = text.indexOf("`", i + 1);
      while (end !== -1 && text[end + 1] === "`") end = text.indexOf("`", end + 2);
      if (end === -1)
        throw new ChartCommandError("unterminated `quoted column name`", start, text.length - start);
      const name = text.slice(start + 1, end).replaceAll("``", "`");
      if (name === "") throw new ChartCommandError("empty `quoted column name`", start, end + 1 - start);
      i = end + 1;
      tokens.push({ kind: "QNAME", text: text.slice(start, i), value: name, start, end: i });
    } else if (OPERATORS.some((op) => text.startsWith(op, i))) {
      const op = OPERATORS.find((candidate) => text.startsWith(candidate, i))!;
      tokens.push({ kind: "OP", text: op, value: op, start, end: i + op.length });
      i += op.length;
    } else if ("(),:-".includes(ch)) {
      tokens.push({ kind: "PUNCT", text: ch, value: ch, start, end: i + 1 });
      i++;
    } else {
      throw new ChartCommandError(`unexpected character ${JSON.stringify(ch)}`, i);
    }
  }
  tokens.push({ kind: "EOF", text: "", value: null, start: text.length, end: text.length });
  return tokens;
}

/**
 * Parses a `%chart` command (with or without the leading `%chart`). Throws
 * {@link ChartCommandError} at the first problem, with its position in `text`.
 */
export function parseChartCommandText(text: string): TChartCommand {
  const prefix = /^\s*%chart\b/.exec(text);
  const offset = prefix ? prefix[0].length : 0;
  const body = text.slice(offset);
  try {
    return new Parser(body).command();
  } catch (error) {
    if (error instanceof ChartCommandError) {
      throw new ChartCommandError(error.message, error.position + offset, error.length);
    }
    throw error;
  }
}

class Parser {
  private pos = 0;
  private readonly tokens: TToken[];

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  private get tok(): TToken {
    return this.tokens[this.pos]!;
  }

  private peek(): TToken {
    return this.tokens[Math.min(this.pos + 1, this.tokens.length - 1)]!;
  }

  private advance(): TToken {
    const token = this.tok;
    if (token.kind !== "EOF") this.pos++;
    return token;
  }

  private fail(message: string, token: TToken = this.tok): never {
    throw new ChartCommandError(message, token.start, Math.max(1, token.end - token.start));
  }

  private describe(token: TToken): string {
    return token.kind === "EOF" ? "the end of the command" : JSON.stringify(token.text);
  }

  private at(text: string): boolean {
    return (this.tok.kind === "PUNCT" || this.tok.kind === "OP") && this.tok.text === text;
  }

  private atKeyword(word: string): boolean {
    return this.tok.kind === "NAME" && this.tok.text.toLowerCase() === word;
  }

  private expect(text: string, what = `'${text}'`): TToken {
    if (this.at(text)) return this.advance();
    return this.fail(`expected ${what}, found ${this.describe(this.tok)}`);
  }

  command(): TChartCommand {
    const cmd: TChartCommand = { encodings: {} };
    while (this.tok.kind !== "EOF") this.clause(cmd);
    return cmd;
  }

  private clause(cmd: TChartCommand): void {
    const tok = this.tok;
    if (tok.kind !== "NAME")
      this.fail(`expected a mark or a clause such as x(...), found ${this.describe(tok)}`);
    const word = tok.text.toLowerCase();
    const hasArgs = this.peek().kind === "PUNCT" && this.peek().text === "(";
    const isMark = (CHART_MARKS as readonly string[]).includes(word);
    if (!hasArgs) {
      if (isMark) {
        if (cmd.mark !== undefined) this.fail(`two marks given: '${cmd.mark}' and '${word}'`);
        this.advance();
        cmd.mark = word as TChartMark;
        return;
      }
      if (CLAUSES.includes(word)) {
        this.advance();
        this.fail(`expected '(' after '${tok.text}'`);
      }
      this.fail(`unknown mark '${tok.text}'${didYouMean(tok.text, [...CHART_MARKS, ...CLAUSES])}`, tok);
    }
    if (isMark) this.fail(`a mark takes no arguments: write '${word}', not '${word}(...)'`, tok);
    if (!CLAUSES.includes(word)) {
      this.fail(`unknown clause '${tok.text}'${didYouMean(tok.text, [...CLAUSES, ...CHART_MARKS])}`, tok);
    }
    this.advance();
    this.expect("(");
    if (word === "data") {
      if (cmd.data !== undefined) this.fail("data(...) given twice", tok);
      if (this.tok.kind !== "NAME")
        this.fail(`expected the name of a DataFrame variable, found ${this.describe(this.tok)}`);
      cmd.data = this.advance().text;
    } else if (word in CHART_CHANNELS) {
      const channel = word as TChartChannel;
      if (cmd.encodings[channel]) this.fail(`${word}(...) given twice`, tok);
      const fields = [this.field()];
      while (this.at(",")) {
        this.advance();
        fields.push(this.field());
      }
      const max = CHART_CHANNELS[channel];
      if (fields.length > max) {
        const extra = fields[max]!.span;
        throw new ChartCommandError(
          `${word}(...) takes at most ${max} field${max > 1 ? "s" : ""}`,
          extra.start,
          extra.end - extra.start,
        );
      }
      cmd.encodings[channel] = fields;
    } else if (word === "sort") {
      if (cmd.sort) this.fail("sort(...) given twice", tok);
      let descending = false;
      if (this.at("-")) {
        this.advance();
        descending = true;
      }
      const target = this.tok;
      if (target.kind !== "NAME" || !["x", "y"].includes(target.text.toLowerCase())) {
        this.fail(`sort takes x, y, -x or -y, found ${this.describe(target)}`);
      }
      this.advance();
      cmd.sort = { channel: target.text.toLowerCase() as "x" | "y", descending };
    } else if (word === "title") {
      if (this.tok.kind !== "STRING") {
        this.fail(
          `title takes a quoted string, e.g. title("Sales by region"), found ${this.describe(this.tok)}`,
        );
      }
      cmd.title = String(this.advance().value);
    } else if (word === "filter") {
      if (cmd.filter !== undefined)
        this.fail("filter(...) given twice: combine the conditions with 'and'", tok);
      const start = this.tok.start;
      this.condition();
      cmd.filter = this.text.slice(start, this.tok.start).trim();
    } else if (word === "limit") {
      const num = this.tok;
      if (num.kind !== "NUMBER" || !/^\d+$/.test(num.text)) {
        this.fail(`limit takes a whole number of rows, e.g. limit(20000), found ${this.describe(num)}`);
      }
      this.advance();
      cmd.limit = num.value as number;
    }
    if (!this.at(")")) this.fail(`expected ')' to close ${word}(, found ${this.describe(this.tok)}`);
    this.advance();
  }

  private column(): string {
    const tok = this.tok;
    if (tok.kind === "NAME" || tok.kind === "QNAME") {
      this.advance();
      return String(tok.value);
    }
    return this.fail(`expected a column name, found ${this.describe(tok)}`);
  }

  private fieldType(): TFieldType | undefined {
    if (!this.at(":")) return undefined;
    this.advance();
    const type = TYPES[this.tok.kind === "NAME" ? this.tok.text.toLowerCase() : ""];
    if (!type) this.fail(`expected a type after ':': ${TYPE_HINT}`);
    this.advance();
    return type;
  }

  private field(): TFieldExpr {
    const tok = this.tok;
    const isCall = tok.kind === "NAME" && this.peek().kind === "PUNCT" && this.peek().text === "(";
    if (!isCall) {
      const column = this.column();
      const span = { start: tok.start, end: tok.end };
      const type = this.fieldType();
      return type ? { column, span, type } : { column, span };
    }
    const name = tok.text.toLowerCase();
    const aggregate = (AGGREGATE_ALIASES[name] ?? name) as TChartAggregate;
    const unit = (TIME_UNIT_ALIASES[name] ?? name) as TChartTimeUnit;
    this.advance();
    this.advance();
    if ((CHART_AGGREGATES as readonly string[]).includes(aggregate)) {
      const column = aggregate !== "count" || !this.at(")") ? this.column() : undefined;
      const close = this.expect(")", `')' to close ${tok.text}(`);
      const expr: TFieldExpr = { aggregate, span: { start: tok.start, end: close.end } };
      if (column !== undefined) expr.column = column;
      const type = this.fieldType();
      if (type) expr.type = type;
      return expr;
    }
    if (name === "bin") {
      const column = this.column();
      let bins = DEFAULT_CHART_BINS;
      if (this.at(",")) {
        this.advance();
        const num = this.tok;
        const count = Number(num.text);
        if (num.kind !== "NUMBER" || !/^\d+$/.test(num.text) || count < 1 || count > MAX_CHART_BINS) {
          this.fail(`the number of bins must be a whole number from 1 to ${MAX_CHART_BINS}`, num);
        }
        bins = count;
        this.advance();
      }
      const close = this.expect(")", "')' to close bin(");
      return { column, bin: bins, span: { start: tok.start, end: close.end } };
    }
    if ((CHART_TIME_UNITS as readonly string[]).includes(unit)) {
      const column = this.column();
      const close = this.expect(")", `')' to close ${tok.text}(`);
      return { column, timeUnit: unit, span: { start: tok.start, end: close.end } };
    }
    return this.fail(
      `unknown function '${tok.text}'${didYouMean(tok.text, [...CHART_AGGREGATES, "bin", ...CHART_TIME_UNITS])}`,
      tok,
    );
  }

  // Conditions are only checked here; the kernel evaluates them.
  private condition(): void {
    this.conjunction();
    while (this.atKeyword("or")) {
      this.advance();
      this.conjunction();
    }
  }

  private conjunction(): void {
    this.negation();
    while (this.atKeyword("and")) {
      this.advance();
      this.negation();
    }
  }

  private negation(): void {
    if (this.atKeyword("not")) {
      this.advance();
      this.negation();
      return;
    }
    this.atom();
  }

  private atom(): void {
    if (this.at("(")) {
      this.advance();
      this.condition();
      this.expect(")", "')' to close the parenthesis");
      return;
    }
    if (this.tok.kind === "NAME" && KEYWORDS.has(this.tok.text.toLowerCase())) {
      this.fail(`expected a column name, found the keyword '${this.tok.text}'`);
    }
    const column = this.column();
    if (this.atKeyword("is")) {
      this.advance();
      if (this.atKeyword("not")) this.advance();
      if (!this.atKeyword("null")) this.fail(`expected 'null' after 'is', found ${this.describe(this.tok)}`);
      this.advance();
      return;
    }
    if (this.atKeyword("not")) {
      this.advance();
      if (!this.atKeyword("in")) this.fail(`expected 'in' after 'not', found ${this.describe(this.tok)}`);
    }
    if (this.atKeyword("in")) {
      this.advance();
      this.expect("(", "'(' after 'in'");
      this.literal();
      while (this.at(",")) {
        this.advance();
        this.literal();
      }
      this.expect(")", "',' or ')' in the list of values");
      return;
    }
    if (this.tok.kind !== "OP") {
      this.fail(
        `expected a comparison (==, !=, <, <=, >, >=, in, is null) after '${column}', found ${this.describe(this.tok)}`,
      );
    }
    this.advance();
    // A fresh read: TypeScript would keep `this.tok` narrowed to the operator token.
    const operand: TToken = this.tokens[this.pos]!;
    if ((operand.kind === "NAME" && !KEYWORDS.has(operand.text.toLowerCase())) || operand.kind === "QNAME") {
      this.column();
    } else {
      this.literal();
    }
  }

  private literal(): void {
    if (this.at("-")) {
      this.advance();
      if (this.tok.kind !== "NUMBER")
        this.fail(`expected a number after '-', found ${this.describe(this.tok)}`);
      this.advance();
      return;
    }
    if (this.tok.kind === "NUMBER" || this.tok.kind === "STRING") {
      this.advance();
      return;
    }
    if (this.tok.kind === "NAME" && ["true", "false", "null"].includes(this.tok.text.toLowerCase())) {
      this.advance();
      return;
    }
    this.fail(
      `expected a value (a number, a quoted string, true, false or null), found ${this.describe(this.tok)}`,
    );
  }
}

/** `"; did you mean 'x'?"` for the closest of `candidates` (edit distance), or `""`. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const lower = word.toLowerCase();
  const exactCase = candidates.find((c) => c.toLowerCase() === lower && c !== word);
  if (exactCase) return `; did you mean '${exactCase}'?`;
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of new Set(candidates)) {
    const score = editDistance(lower, candidate.toLowerCase());
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  // Close enough: at most a third of the word's letters differ.
  return best !== undefined && bestScore <= Math.max(1, Math.floor(word.length / 3))
    ? `; did you mean '${best}'?`
    : "";
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

const PLAIN_NAME = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/** A column name as the grammar reads it: plain names as is, others in backquotes. */
export function quoteColumn(name: string): string {
  return PLAIN_NAME.test(name) ? name : `\`${name.replaceAll("`", "``")}\``;
}

/** A string literal for `title("...")`. */
export function quoteString(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n").replaceAll("\t", "\\t")}"`;
}

/** A field as the grammar writes it: `amount`, `sum(amount)`, `bin(distance, 30)`, `month(ts)`, `year:o`. */
export function formatField(field: Omit<TFieldExpr, "span">): string {
  const column = field.column === undefined ? "" : quoteColumn(field.column);
  let text: string;
  if (field.aggregate) text = `${field.aggregate}(${column})`;
  else if (field.bin !== undefined)
    text = field.bin === DEFAULT_CHART_BINS ? `bin(${column})` : `bin(${column}, ${field.bin})`;
  else if (field.timeUnit) text = `${field.timeUnit}(${column})`;
  else text = column;
  if (field.type && field.bin === undefined && !field.timeUnit)
    text += `:${vocabulary.types[field.type].short}`;
  return text;
}
