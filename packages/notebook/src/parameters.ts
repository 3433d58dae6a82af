/**
 * Notebook parameters, papermill's convention: a code cell tagged `parameters` holds defaults;
 * a parameterized run inserts a code cell tagged `injected-parameters` right after it (or first,
 * when there is none) that assigns the run's values, so they override the defaults and the run's
 * notebook shows what it ran with. Values become Python literals, never code: a name must be a
 * Python identifier, and a value is JSON data rendered as a literal with every character escaped.
 */

import { newCellId } from "./cells";
import type { TCell, TCodeCell } from "./model";

/** The tag of the cell that declares a notebook's parameters and their defaults. */
export const PARAMETERS_TAG = "parameters";
/** The tag of the cell a run inserts with its values. */
export const INJECTED_PARAMETERS_TAG = "injected-parameters";

/** A parameter value: JSON data (rendered as the Python literal of the same value). */
export type TParameterValue =
  | string
  | number
  | boolean
  | null
  | TParameterValue[]
  | { [key: string]: TParameterValue };

/** Parameter values by name. */
export type TParameterValues = Record<string, TParameterValue>;

/** Python's keywords (3.12), which are not valid names to assign to. */
const PYTHON_KEYWORDS = new Set([
  "False",
  "None",
  "True",
  "and",
  "as",
  "assert",
  "async",
  "await",
  "break",
  "class",
  "continue",
  "def",
  "del",
  "elif",
  "else",
  "except",
  "finally",
  "for",
  "from",
  "global",
  "if",
  "import",
  "in",
  "is",
  "lambda",
  "nonlocal",
  "not",
  "or",
  "pass",
  "raise",
  "return",
  "try",
  "while",
  "with",
  "yield",
]);

/** Nesting depth a value may have (a deeper one is refused rather than rendered). */
const MAX_VALUE_DEPTH = 32;

/** Thrown for a name or value that cannot be a parameter; the message says which and why. */
export class ParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParameterError";
  }
}

/**
 * Whether `name` can be a parameter: an ASCII Python identifier (letters, digits, `_`, not
 * starting with a digit), at most 100 characters, not a keyword. ASCII only on purpose: Python
 * normalizes non-ASCII identifiers (NFKC), so two different names could assign one variable.
 */
export function isValidParameterName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(name) && !PYTHON_KEYWORDS.has(name);
}

/**
 * The Python literal of `value`: `None`, `True`/`False`, an int or float, a string, a list or a
 * dict. Strings use JSON's escapes, which Python reads the same way inside double quotes (`\"`,
 * `\\`, `\n`, `\uXXXX`...); JSON never leaves a quote, backslash or line break unescaped, so no
 * value can end the literal.
 * @throws ParameterError for a number that is not finite, or a value nested too deep.
 */
export function toPythonLiteral(value: TParameterValue, depth = 0): string {
  if (depth > MAX_VALUE_DEPTH)
    throw new ParameterError(`a value is nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ParameterError(`${value} is not a number a parameter can hold`);
    return Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER
      ? String(value)
      : JSON.stringify(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => toPythonLiteral(item, depth + 1)).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value).map(
      ([key, item]) => `${JSON.stringify(key)}: ${toPythonLiteral(item, depth + 1)}`,
    );
    return `{${entries.join(", ")}}`;
  }
  throw new ParameterError(`a ${typeof value} cannot be a parameter value`);
}

/**
 * The source of an injected-parameters cell: one `name = literal` line per value, in the order
 * given, under a comment that says where they came from.
 * @throws ParameterError for an invalid name or value.
 */
export function renderParametersSource(values: TParameterValues): string {
  const lines = ["# Parameters", ...renderAssignments(values)];
  return lines.join("\n");
}

function renderAssignments(values: TParameterValues): string[] {
  return Object.entries(values).map(([name, value]) => {
    if (!isValidParameterName(name)) {
      throw new ParameterError(
        `"${name.slice(0, 100)}" is not a parameter name: use letters, digits and _, not starting with a digit, and no Python keyword`,
      );
    }
    return `${name} = ${toPythonLiteral(value)}`;
  });
}

function hasTag(cell: TCell, tag: string): boolean {
  return Array.isArray(cell.metadata.tags) && cell.metadata.tags.includes(tag);
}

/** The index of the cell tagged `parameters`, or -1. */
export function findParametersCell(cells: readonly TCell[]): number {
  return cells.findIndex((cell) => cell.cell_type === "code" && hasTag(cell, PARAMETERS_TAG));
}

/** One default a `parameters` cell declares: `name = <expression text>`. */
export type TParameterDefault = { name: string; expression: string };

/**
 * The defaults a `parameters` cell declares: its top-level `name = expression` lines (one line
 * each; comments and other statements are skipped), for a form to show. Read as text, never run.
 */
export function readParameterDefaults(cells: readonly TCell[]): TParameterDefault[] {
  const index = findParametersCell(cells);
  if (index === -1) return [];
  const defaults: TParameterDefault[] = [];
  for (const line of cells[index]!.source.split("\n")) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?=(?!=)\s*(.*?)\s*$/.exec(line);
    if (!match || !isValidParameterName(match[1]!)) continue;
    const expression = match[2]!.replace(/\s+#.*$/, "");
    const existing = defaults.findIndex((item) => item.name === match[1]);
    if (existing !== -1) defaults.splice(existing, 1);
    defaults.push({ name: match[1]!, expression });
  }
  return defaults;
}

/**
 * The cells of a parameterized run: earlier injected-parameters cells are removed (a notebook
 * saved from an earlier run keeps only the new values), and a new code cell tagged
 * `injected-parameters` assigning `values` goes right after the `parameters` cell, or first when
 * there is none (as papermill does). With no values the cells come back without an injected cell.
 * @throws ParameterError for an invalid name or value.
 */
export function injectParameters(
  cells: readonly TCell[],
  values: TParameterValues,
  makeId: () => string = newCellId,
): TCell[] {
  const kept = cells.filter((cell) => !hasTag(cell, INJECTED_PARAMETERS_TAG));
  if (Object.keys(values).length === 0) return kept;
  const injected: TCodeCell = {
    id: makeId(),
    cell_type: "code",
    metadata: { tags: [INJECTED_PARAMETERS_TAG] },
    source: renderParametersSource(values),
    outputs: [],
    execution_count: null,
  };
  const at = findParametersCell(kept) + 1;
  return [...kept.slice(0, at), injected, ...kept.slice(at)];
}

/**
 * A value typed into a parameter field: JSON when it parses as JSON (`5`, `true`, `[1, 2]`,
 * `"quoted"`), else the text itself, so `Bergen` is the string "Bergen" without quotes (what
 * papermill's `-p` does with YAML).
 */
export function readParameterInput(text: string): TParameterValue {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  try {
    return JSON.parse(trimmed) as TParameterValue;
  } catch {
    return text;
  }
}
