import { describe, expect, it } from "vitest";
import { exportIpynb, isImportNotice, parseIpynb, serializeIpynb, type TParseIpynbResult } from "./ipynb";
import type { TNotebook } from "./model";

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\n";

function notebookJson(cells: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 4,
    metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
    cells,
    ...extra,
  };
}

function codeCell(outputs: unknown[] = [], source: unknown = "x"): Record<string, unknown> {
  return { cell_type: "code", metadata: {}, source, outputs, execution_count: 1 };
}

function parse(json: unknown, limits?: Parameters<typeof parseIpynb>[1]): TParseIpynbResult {
  return parseIpynb(JSON.stringify(json), limits);
}

function parseOk(json: unknown): TNotebook {
  const result = parse(json);
  if (!result.ok) throw new Error(result.error);
  return result.notebook;
}

function parseError(input: unknown, limits?: Parameters<typeof parseIpynb>[1]): string {
  const result =
    typeof input === "string" || input instanceof Uint8Array
      ? parseIpynb(input, limits)
      : parse(input, limits);
  if (result.ok) throw new Error("expected the notebook to be rejected");
  return result.error;
}

describe("parseIpynb: the model it builds", () => {
  it("joins sources and output texts, upgrades to 4.5 and gives every cell an id", () => {
    const notebook = parseOk(
      notebookJson([
        { cell_type: "markdown", metadata: {}, source: ["# Title\n", "text"] },
        codeCell(
          [
            { output_type: "stream", name: "stdout", text: ["a\n", "b\n"] },
            {
              output_type: "execute_result",
              execution_count: 1,
              data: { "text/plain": ["1\n", "2"], "image/png": PNG, "application/json": { a: [1] } },
              metadata: {},
            },
          ],
          ["print(1)\n", "2"],
        ),
      ]),
    );
    expect(notebook.nbformat_minor).toBe(5);
    expect(notebook.cells.map((cell) => cell.source)).toEqual(["# Title\ntext", "print(1)\n2"]);
    expect(notebook.cells[1]).toMatchObject({
      cell_type: "code",
      execution_count: 1,
      outputs: [
        { output_type: "stream", name: "stdout", text: "a\nb\n" },
        {
          output_type: "execute_result",
          data: { "text/plain": "1\n2", "image/png": PNG, "application/json": { a: [1] } },
        },
      ],
    });
    for (const cell of notebook.cells) expect(cell.id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
    expect(notebook.cells[0]!.id).not.toBe(notebook.cells[1]!.id);
  });

  it("keeps valid unique ids and replaces invalid or repeated ones", () => {
    const cell = (id: unknown) => ({ id, cell_type: "markdown", metadata: {}, source: "" });
    const notebook = parseOk(
      notebookJson(
        [cell("keep-me_1"), cell("has space"), cell("keep-me_1"), cell("x".repeat(65)), cell(42), cell("")],
        {
          nbformat_minor: 5,
        },
      ),
    );
    const ids = notebook.cells.map((c) => c.id);
    expect(ids[0]).toBe("keep-me_1");
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(1)) expect(id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
  });

  it("keeps unknown metadata keys at every level", () => {
    const notebook = parseOk(
      notebookJson(
        [{ cell_type: "raw", metadata: { format: "text/latex", custom: { deep: [1, 2] } }, source: "" }],
        {
          metadata: { jupytext: { formats: "ipynb,md" }, language_info: { name: "python", version: "3.12" } },
        },
      ),
    );
    expect(notebook.metadata).toEqual({
      jupytext: { formats: "ipynb,md" },
      language_info: { name: "python", version: "3.12" },
    });
    expect(notebook.cells[0]!.metadata).toEqual({ format: "text/latex", custom: { deep: [1, 2] } });
  });

  it('stores HTML in metadata as plain data (it is escaped where shown): "><script> in title, tags, width, language', () => {
    const evil = '"><script>alert(1)</script>';
    const notebook = parseOk(
      notebookJson([{ cell_type: "markdown", metadata: { tags: [evil], width: evil }, source: evil }], {
        metadata: { title: evil, language_info: { name: evil } },
      }),
    );
    expect(notebook.metadata.title).toBe(evil);
    expect(notebook.metadata.language_info?.name).toBe(evil);
    expect(notebook.cells[0]!.metadata).toEqual({ tags: [evil], width: evil });
  });

  it("does not let a __proto__ key change any prototype", () => {
    const text = JSON.stringify(notebookJson([])).replace(
      '"metadata":{',
      '"metadata":{"__proto__":{"polluted":true},',
    );
    const result = parseIpynb(text);
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (result.ok) expect(Object.getPrototypeOf(result.notebook.metadata)).toBe(Object.prototype);
  });

  it("accepts bytes and strings, with or without a byte order mark, and nbformat 4.0", () => {
    const text = JSON.stringify(notebookJson([codeCell()], { nbformat_minor: 0 }));
    expect(parseIpynb(text).ok).toBe(true);
    expect(parseIpynb(`\uFEFF${text}`).ok).toBe(true);
    expect(parseIpynb(new TextEncoder().encode(text)).ok).toBe(true);
    expect(parseIpynb(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)])).ok).toBe(true);
  });

  it("fills in what some tools leave out: code cell outputs, execution count, metadata", () => {
    const notebook = parseOk({ nbformat: 4, nbformat_minor: 2, cells: [{ cell_type: "code", source: "1" }] });
    expect(notebook.metadata).toEqual({});
    expect(notebook.cells[0]).toMatchObject({ metadata: {}, outputs: [], execution_count: null });
  });

  it("accepts base64 split over lines in an image, and an Altair 6 spec object under a non-+json type", () => {
    const spec = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", mark: "bar" };
    const notebook = parseOk(
      notebookJson([
        codeCell([
          {
            output_type: "display_data",
            data: { "image/png": ["iVBORw0K\n", "GgoAAAA=\n"], "application/vnd.vegalite.v6.json": spec },
            metadata: {},
          },
        ]),
      ]),
    );
    expect(notebook.cells[0]).toMatchObject({
      outputs: [{ data: { "image/png": "iVBORw0K\nGgoAAAA=\n", "application/vnd.vegalite.v6.json": spec } }],
    });
  });
});

describe("parseIpynb: rejections with messages a person can act on", () => {
  it("invalid UTF-8, with the byte offset", () => {
    const bytes = new TextEncoder().encode('{"cells": ["abc"]}');
    bytes[12] = 0xff;
    expect(parseError(bytes)).toBe("The file is not valid UTF-8 (byte offset 12).");
    // A sequence cut short, an overlong encoding, an encoded surrogate.
    expect(parseError(new Uint8Array([0x7b, 0x22, 0xe2, 0x82]))).toBe(
      "The file is not valid UTF-8 (byte offset 2).",
    );
    expect(parseError(new Uint8Array([0x20, 0xc0, 0x80]))).toBe(
      "The file is not valid UTF-8 (byte offset 1).",
    );
    expect(parseError(new Uint8Array([0x20, 0x20, 0x20, 0xed, 0xa0, 0x80]))).toBe(
      "The file is not valid UTF-8 (byte offset 3).",
    );
  });

  it("not JSON, with line and column", () => {
    expect(parseError('{\n  "nbformat": 4,,\n}')).toBe(
      "The file is not valid JSON: unexpected ',' where a property name in double quotes was expected (line 2, column 17).",
    );
    expect(parseError('{"nbformat": 4')).toBe(
      "The file is not valid JSON: the file ends where ',' or '}' was expected (line 1, column 15).",
    );
    expect(parseError("<html>")).toBe(
      "The file is not valid JSON: unexpected '<' where a value was expected (line 1, column 1).",
    );
    expect(parseError('{"a": "x\ny"}')).toBe(
      "The file is not valid JSON: a control character (such as a raw newline) inside a string (line 1, column 9).",
    );
    expect(parseError('{"a": [1, 2] } {')).toBe(
      "The file is not valid JSON: more text after the end of the JSON value (line 1, column 16).",
    );
    expect(parseError('{"a": 01}')).toMatch(
      /unexpected '1' where ',' or '}' was expected \(line 1, column 8\)/,
    );
    expect(parseError('{"a": "\\q"}')).toMatch(/a bad escape in a string \(line 1, column 8\)/);
    expect(parseError('{"a": tru}')).toMatch(/unexpected 't' where a value was expected/);
    expect(parseError('["unclosed')).toMatch(/a string that is never closed \(line 1, column 2\)/);
    expect(parseError("")).toBe("The file is empty.");
  });

  it("100,000-deep JSON, found before parsing, without overflowing the stack", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(parseError(deep)).toBe(
      "The file nests JSON deeper than 256 levels (line 1, column 257); no notebook needs that.",
    );
    const hidden = JSON.stringify(notebookJson([])).replace(
      '"metadata":{',
      `"metadata":{"x":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)},`,
    );
    expect(parseError(hidden)).toMatch(/^The file nests JSON deeper than 256 levels/);
    // Brackets inside strings do not count.
    expect(parse(notebookJson([codeCell([], "[".repeat(10_000))])).ok).toBe(true);
    expect(parseError(deep, { maxDepth: 100_001 })).toMatch(/not a Jupyter notebook/);
  });

  it("nbformat 3 and other major versions", () => {
    const v3 = { nbformat: 3, nbformat_minor: 0, metadata: { name: "" }, worksheets: [{ cells: [] }] };
    expect(parseError(v3)).toBe(
      "nbformat 3 notebooks are not supported; open and save it in Jupyter to upgrade to nbformat 4",
    );
    expect(parseError({ ...v3, nbformat: 2 })).toMatch(/^nbformat 2 notebooks are not supported/);
    expect(parseError(notebookJson([], { nbformat: 5 }))).toBe(
      "nbformat 5 notebooks are not supported; Flint reads nbformat 4.",
    );
  });

  it("JSON that is not a notebook", () => {
    expect(parseError("[]")).toBe("The file is not a Jupyter notebook: it is not a JSON object.");
    expect(parseError("null")).toBe("The file is not a Jupyter notebook: it is not a JSON object.");
    expect(parseError({ cells: [] })).toBe(
      'The file is not a Jupyter notebook: it has no "nbformat" version.',
    );
    expect(parseError({ nbformat: "4", cells: [] })).toBe(
      'The file is not a Jupyter notebook: "nbformat" is not a version number.',
    );
  });

  it("missing cells", () => {
    expect(parseError({ nbformat: 4, nbformat_minor: 5, metadata: {} })).toBe(
      'The notebook has no "cells" list.',
    );
    expect(parseError(notebookJson([], { cells: {} }))).toBe('The notebook\'s "cells" is not a list.');
  });

  it("unknown cell and output types, with 1-based cell and output numbers", () => {
    const heading = { cell_type: "heading", level: 1, metadata: {}, source: "Title" };
    expect(parseError(notebookJson([codeCell(), heading]))).toBe(
      'cell 2: unknown cell type "heading" (expected code, markdown or raw).',
    );
    expect(parseError(notebookJson([null]))).toBe("cell 1: not a JSON object.");
    expect(parseError(notebookJson([{ source: "" }]))).toBe(
      "cell 1: unknown cell type missing (expected code, markdown or raw).",
    );
  });

  it("fields of the wrong type, naming the cell and output", () => {
    expect(parseError(notebookJson([{ cell_type: "markdown", metadata: {} }]))).toBe(
      'cell 1: the cell has no "source".',
    );
    expect(
      parseError(notebookJson([{ cell_type: "markdown", metadata: { tags: "a" }, source: "" }])),
    ).toMatch(/^cell 1: metadata\.tags: expected array/);
    expect(parseError(notebookJson([], { metadata: { kernelspec: { display_name: "x" } } }))).toMatch(
      /^notebook: metadata\.kernelspec\.name: expected string/,
    );
  });

  it("a file over the total limit (default 100 MB), before decoding", () => {
    expect(parseError(new Uint8Array(101 * 1024 * 1024))).toBe(
      "The file is 101 MB, over the 100 MB limit for notebooks.",
    );
    const text = JSON.stringify(notebookJson([codeCell([], "é".repeat(1000))]));
    expect(parseError(text, { maxBytes: 1500 })).toMatch(
      /^The file is .* MB, over the .* MB limit for notebooks\.$/,
    );
    expect(parseIpynb(text, { maxBytes: 3000 }).ok).toBe(true);
  });

  it("never throws, whatever the input", () => {
    const inputs: unknown[] = [
      "42",
      '"text"',
      "true",
      notebookJson([codeCell("not a list" as unknown as unknown[])]),
      notebookJson([{ cell_type: "code", metadata: [], source: [1, 2], outputs: [], execution_count: -1 }]),
      notebookJson([], { nbformat_minor: "x" }),
      notebookJson([], { nbformat: 4.5 }),
    ];
    for (const input of inputs) {
      const result = typeof input === "string" ? parseIpynb(input) : parse(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.length).toBeGreaterThan(10);
    }
  });
});

/** The text of the notice that stands in place of output `index` of code cell `cell`. */
function noticeText(notebook: TNotebook, cell: number, index: number): string {
  const found = notebook.cells[cell];
  if (found?.cell_type !== "code") throw new Error(`cell ${cell} is not a code cell`);
  const output = found.outputs[index];
  if (!output || !isImportNotice(output) || output.output_type !== "display_data") {
    throw new Error(`output ${index} of cell ${cell} is not an import notice`);
  }
  return String(output.data["text/plain"]);
}

function parseTolerated(input: unknown, limits?: Parameters<typeof parseIpynb>[1]) {
  const result = typeof input === "string" ? parseIpynb(input, limits) : parse(input, limits);
  if (!result.ok) throw new Error(result.error);
  return result;
}

describe("parseIpynb: one bad output does not refuse the file", () => {
  const good = { output_type: "stream", name: "stdout", text: ["kept\n"] };

  it("replaces an image that is not base64 by a notice in its place, and keeps the rest", () => {
    const bad = {
      output_type: "display_data",
      data: { "image/png": '"><script>alert(1)</script>', "text/plain": "<Figure>" },
      metadata: {},
    };
    const { notebook, replaced } = parseTolerated(notebookJson([codeCell(), codeCell([good, bad, good])]));
    expect(replaced).toEqual([{ cell: 2, output: 2, reason: "image/png is not base64" }]);
    expect(noticeText(notebook, 1, 1)).toBe(
      "This output could not be imported (image/png is not base64); the rest of the notebook is as it was.",
    );
    const cell = notebook.cells[1]!;
    expect(cell.cell_type === "code" && cell.outputs.map((output) => output.output_type)).toEqual([
      "stream",
      "display_data",
      "stream",
    ]);
    expect(JSON.stringify(notebook)).not.toContain("<script>");
    for (const value of ["data:image/jpeg;base64,AAAA", { not: "a string" }]) {
      const image = { output_type: "display_data", data: { "image/jpeg": value }, metadata: {} };
      expect(parseTolerated(notebookJson([codeCell([image])])).replaced[0]?.reason).toBe(
        "image/jpeg is not base64",
      );
    }
  });

  it("replaces unknown output types, malformed outputs and invalid MIME bundles, naming each", () => {
    const outputs = [
      { output_type: "pyout", text: "" },
      null,
      { output_type: "stream", name: "stdout", text: 5 },
      { output_type: "display_data", data: "not a bundle", metadata: {} },
      { output_type: "display_data", data: { "not a mime type": "x" }, metadata: {} },
      { output_type: "execute_result", execution_count: 1, data: { "text/html": { x: 1 } }, metadata: {} },
      good,
    ];
    const { notebook, replaced } = parseTolerated(notebookJson([codeCell(outputs)]));
    expect(replaced.map((notice) => [notice.output, notice.reason])).toEqual([
      [1, 'unknown output type "pyout", expected stream, display_data, execute_result or error'],
      [2, "it is not a JSON object"],
      [3, expect.stringMatching(/^text: /)],
      [4, expect.stringMatching(/^data: /)],
      [5, '"not a mime type" is not a MIME type'],
      [6, "text/html is not text"],
    ]);
    const cell = notebook.cells[0]!;
    expect(cell.cell_type === "code" && cell.outputs.at(-1)).toEqual({
      output_type: "stream",
      name: "stdout",
      text: "kept\n",
    });
  });

  it("replaces an output over the item limit, and leaves out a bad or oversized attachment", () => {
    const output = { output_type: "stream", name: "stdout", text: ["x".repeat(600), "y".repeat(600)] };
    const display = { output_type: "display_data", data: { "text/html": "h".repeat(2000) }, metadata: {} };
    const attachments = {
      cell_type: "markdown",
      metadata: {},
      source: "![x](attachment:x.png) ![ok](attachment:ok.png)",
      attachments: { "x.png": { "image/png": "not base64!" }, "ok.png": { "image/png": PNG } },
    };
    const { notebook, replaced } = parseTolerated(notebookJson([codeCell([output, display]), attachments]), {
      maxItemBytes: 1024,
    });
    expect(replaced).toEqual([
      {
        cell: 1,
        output: 1,
        reason: expect.stringMatching(/^the stdout text is .* MB, over the .* MB limit for one output item$/),
      },
      {
        cell: 1,
        output: 2,
        reason: expect.stringMatching(/^text\/html is .* over the .* limit for one output item$/),
      },
      { cell: 2, attachment: "x.png", reason: "image/png is not base64; it was left out" },
    ]);
    const markdown = notebook.cells[1]!;
    expect(markdown.cell_type === "markdown" && Object.keys(markdown.attachments ?? {})).toEqual(["ok.png"]);
  });

  it("imports a 60 MB output as a notice and exports the rest unchanged", () => {
    const big = { output_type: "display_data", data: { "text/plain": "HUGE" }, metadata: {} };
    const kept = [
      { output_type: "stream", name: "stdout", text: ["before\n"] },
      { output_type: "execute_result", execution_count: 1, data: { "text/plain": ["42"] }, metadata: {} },
    ];
    const source = notebookJson([
      { cell_type: "markdown", metadata: {}, source: ["# Title"], id: "md" },
      { ...codeCell([kept[0], big, kept[1]]), id: "code" },
    ]);
    // Spliced in as text: JSON.stringify of 60 MB would double the test's time.
    const text = JSON.stringify(source).replace("HUGE", "A".repeat(60 * 1024 * 1024));
    const { notebook, replaced } = parseTolerated(text);
    expect(replaced).toEqual([
      { cell: 2, output: 2, reason: "text/plain is 60 MB, over the 20 MB limit for one output item" },
    ]);
    const file = exportIpynb(notebook);
    expect(file.cells[0]).toMatchObject({ id: "md", cell_type: "markdown", source: ["# Title"] });
    const code = file.cells[1]!;
    if (code.cell_type !== "code") throw new Error("expected a code cell");
    expect(code.outputs[0]).toEqual(kept[0]);
    expect(code.outputs[2]).toEqual(kept[1]);
    expect(code.outputs[1]).toMatchObject({
      output_type: "display_data",
      metadata: { flint_import_notice: true },
    });
  });

  it("a notebook without problems has nothing replaced", () => {
    expect(parseTolerated(notebookJson([codeCell([good])])).replaced).toEqual([]);
  });
});

describe("exportIpynb and serializeIpynb", () => {
  const notebook: TNotebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)" }, "10": "b", "9": "a" },
    cells: [
      {
        id: "m",
        cell_type: "markdown",
        metadata: {},
        source: "",
        attachments: { "a.png": { "image/png": PNG } },
      },
      {
        id: "c",
        cell_type: "code",
        metadata: { tags: ["x"] },
        source: "print('héllo')\nx\r\n",
        execution_count: 3,
        outputs: [
          { output_type: "stream", name: "stdout", text: "héllo\n" },
          {
            output_type: "display_data",
            data: { "text/html": "<b>1</b>\n<i>2</i>", "image/png": PNG, "application/json": { k: "v" } },
            metadata: { "image/png": { width: 10 } },
            transient: { display_id: "d1" },
          },
          {
            output_type: "execute_result",
            execution_count: 3,
            data: { "text/plain": "3" },
            metadata: {},
            transient: { display_id: "d2" },
          },
          { output_type: "error", ename: "E", evalue: "v", traceback: ["a", "b"] },
        ],
      },
    ],
  };

  it("splits text into lines like Jupyter, drops transient, keeps execution counts", () => {
    const file = exportIpynb(notebook);
    expect(file.nbformat_minor).toBe(5);
    expect(file.cells[0]).toEqual({
      id: "m",
      cell_type: "markdown",
      metadata: {},
      source: [],
      attachments: { "a.png": { "image/png": PNG } },
    });
    expect(file.cells[1]).toEqual({
      id: "c",
      cell_type: "code",
      metadata: { tags: ["x"] },
      source: ["print('héllo')\n", "x\r\n"],
      execution_count: 3,
      outputs: [
        { output_type: "stream", name: "stdout", text: ["héllo\n"] },
        {
          output_type: "display_data",
          data: { "text/html": ["<b>1</b>\n", "<i>2</i>"], "image/png": PNG, "application/json": { k: "v" } },
          metadata: { "image/png": { width: 10 } },
        },
        { output_type: "execute_result", execution_count: 3, data: { "text/plain": ["3"] }, metadata: {} },
        { output_type: "error", ename: "E", evalue: "v", traceback: ["a", "b"] },
      ],
    });
  });

  it("parses back to the same model", () => {
    const result = parseIpynb(serializeIpynb(notebook));
    if (!result.ok) throw new Error(result.error);
    const withoutTransient = structuredClone(notebook);
    for (const cell of withoutTransient.cells) {
      if (cell.cell_type === "code")
        for (const output of cell.outputs) if ("transient" in output) delete output.transient;
    }
    expect(result.notebook).toEqual(withoutTransient);
  });

  it("writes Jupyter's text: sorted keys (as strings), one-space indent, raw UTF-8, trailing newline", () => {
    const text = serializeIpynb({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { z: 1, "10": [], "9": {}, a: "é" },
      cells: [],
    });
    expect(text).toBe(
      '{\n "cells": [],\n "metadata": {\n  "10": [],\n  "9": {},\n  "a": "é",\n  "z": 1\n },\n "nbformat": 4,\n "nbformat_minor": 5\n}\n',
    );
  });
});
