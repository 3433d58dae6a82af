import { describe, expect, it } from "vitest";
import type { TCell } from "./model";
import {
  INJECTED_PARAMETERS_TAG,
  injectParameters,
  isValidParameterName,
  ParameterError,
  readParameterDefaults,
  readParameterInput,
  renderParametersSource,
  toPythonLiteral,
} from "./parameters";

function code(id: string, source: string, tags?: string[]): TCell {
  return {
    id,
    cell_type: "code",
    metadata: tags ? { tags } : {},
    source,
    outputs: [],
    execution_count: null,
  };
}

const ids = () => {
  let n = 0;
  return () => `injected-${++n}`;
};

describe("toPythonLiteral", () => {
  it("renders JSON values as the Python literals of the same values", () => {
    expect(toPythonLiteral(null)).toBe("None");
    expect(toPythonLiteral(true)).toBe("True");
    expect(toPythonLiteral(false)).toBe("False");
    expect(toPythonLiteral(42)).toBe("42");
    expect(toPythonLiteral(-1.5)).toBe("-1.5");
    expect(toPythonLiteral(1e21)).toBe("1e+21");
    expect(toPythonLiteral("Oslo")).toBe('"Oslo"');
    expect(toPythonLiteral([1, "a", null])).toBe('[1, "a", None]');
    expect(toPythonLiteral({ a: { b: [true] } })).toBe('{"a": {"b": [True]}}');
  });

  it("escapes every character that could end a string literal", () => {
    const hostile = "x\"\nimport os; os.system('rm -rf /')\n#\\";
    const literal = toPythonLiteral(hostile);
    expect(literal).toBe('"x\\"\\nimport os; os.system(\'rm -rf /\')\\n#\\\\"');
    expect(literal.includes("\n")).toBe(false);
    expect(toPythonLiteral("\u2028\u0000")).toBe('"\u2028\\u0000"');
  });

  it("refuses numbers Python has no literal for and values nested too deep", () => {
    expect(() => toPythonLiteral(Number.NaN)).toThrow(ParameterError);
    expect(() => toPythonLiteral(Number.POSITIVE_INFINITY)).toThrow(ParameterError);
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(() => toPythonLiteral(deep as never)).toThrow(/nested deeper/);
  });
});

describe("parameter names", () => {
  it("accepts ASCII identifiers and refuses keywords, code and non-ASCII names", () => {
    expect(isValidParameterName("city")).toBe(true);
    expect(isValidParameterName("_run_2")).toBe(true);
    expect(isValidParameterName("2city")).toBe(false);
    expect(isValidParameterName("class")).toBe(false);
    expect(isValidParameterName("None")).toBe(false);
    expect(isValidParameterName("a=1;import os")).toBe(false);
    expect(isValidParameterName("ｃｉｔｙ")).toBe(false);
    expect(isValidParameterName("")).toBe(false);
    expect(() => renderParametersSource({ "x; import os": 1 })).toThrow(/is not a parameter name/);
  });
});

describe("injectParameters", () => {
  const notebook = [
    code("a", "import math"),
    code("p", 'city = "Oslo"\nyear = 2024  # the default', ["parameters"]),
    code("b", "print(city, year)"),
  ];

  it("inserts a cell tagged injected-parameters right after the parameters cell", () => {
    const cells = injectParameters(notebook, { city: "Bergen", year: 2025 }, ids());
    expect(cells.map((cell) => cell.id)).toEqual(["a", "p", "injected-1", "b"]);
    const injected = cells[2]!;
    expect(injected.metadata.tags).toEqual([INJECTED_PARAMETERS_TAG]);
    expect(injected.source).toBe('# Parameters\ncity = "Bergen"\nyear = 2025');
    expect(notebook).toHaveLength(3);
  });

  it("puts the cell first when no cell is tagged parameters, as papermill does", () => {
    const cells = injectParameters([code("a", "x = 1")], { x: 2 }, ids());
    expect(cells.map((cell) => cell.id)).toEqual(["injected-1", "a"]);
  });

  it("replaces an injected cell left by an earlier run", () => {
    const once = injectParameters(notebook, { city: "Bergen" }, ids());
    const twice = injectParameters(once, { city: "Tromsø" }, () => "second");
    expect(twice.map((cell) => cell.id)).toEqual(["a", "p", "second", "b"]);
    expect(twice[2]!.source).toContain('city = "Tromsø"');
  });

  it("adds no cell without values", () => {
    expect(injectParameters(notebook, {}).map((cell) => cell.id)).toEqual(["a", "p", "b"]);
  });
});

describe("readParameterDefaults", () => {
  it("reads the top-level assignments of the parameters cell as text", () => {
    const cells = [
      code("p", 'city = "Oslo"\nyear: int = 2024  # default\nif x == 1:\n    y = 2\n# z = 3\nrate=0.5', [
        "parameters",
      ]),
    ];
    expect(readParameterDefaults(cells)).toEqual([
      { name: "city", expression: '"Oslo"' },
      { name: "year", expression: "2024" },
      { name: "rate", expression: "0.5" },
    ]);
    expect(readParameterDefaults([code("a", "x = 1")])).toEqual([]);
  });
});

describe("readParameterInput", () => {
  it("reads JSON when it parses and text otherwise", () => {
    expect(readParameterInput("5")).toBe(5);
    expect(readParameterInput("true")).toBe(true);
    expect(readParameterInput("[1, 2]")).toEqual([1, 2]);
    expect(readParameterInput('"5"')).toBe("5");
    expect(readParameterInput("Bergen")).toBe("Bergen");
    expect(readParameterInput("")).toBe("");
  });
});
