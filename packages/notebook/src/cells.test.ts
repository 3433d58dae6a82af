import { describe, expect, it } from "vitest";
import {
  clearOutputs,
  createEmptyNotebook,
  deleteCells,
  findCell,
  insertCell,
  moveCells,
  NotebookError,
  newCellId,
  setCellOutputs,
  setCellSource,
  setCellType,
} from "./cells";
import { type TNotebook, ZNotebook } from "./model";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** a (markdown), b (code with output), c (code), d (raw with attachment), frozen so any mutation throws. */
function sample(): TNotebook {
  return deepFreeze({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "python3", display_name: "Python 3" } },
    cells: [
      { id: "a", cell_type: "markdown", metadata: {}, source: "# A" },
      {
        id: "b",
        cell_type: "code",
        metadata: { tags: ["t"] },
        source: "print(1)",
        outputs: [{ output_type: "stream", name: "stdout", text: "1\n" }],
        execution_count: 1,
      },
      { id: "c", cell_type: "code", metadata: {}, source: "2", outputs: [], execution_count: null },
      {
        id: "d",
        cell_type: "raw",
        metadata: {},
        source: "raw",
        attachments: { "x.txt": { "text/plain": "x" } },
      },
    ],
  } satisfies TNotebook);
}

const ids = (notebook: TNotebook) => notebook.cells.map((cell) => cell.id);

describe("newCellId and createEmptyNotebook", () => {
  it("makes distinct ids that nbformat 4.5 accepts", () => {
    const made = new Set(Array.from({ length: 1000 }, newCellId));
    expect(made.size).toBe(1000);
    for (const id of made) expect(id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
  });

  it("creates a valid notebook with one empty code cell and the Spark kernel by default", () => {
    const notebook = createEmptyNotebook();
    expect(ZNotebook.safeParse(notebook).success).toBe(true);
    expect(notebook.metadata.kernelspec).toEqual({
      name: "flint-spark",
      display_name: "Python 3 (Spark)",
      language: "python",
    });
    expect(notebook.metadata.language_info).toEqual({ name: "python" });
    expect(notebook.cells).toHaveLength(1);
    expect(notebook.cells[0]).toMatchObject({
      cell_type: "code",
      source: "",
      outputs: [],
      execution_count: null,
    });
  });

  it("takes another kernelspec", () => {
    const notebook = createEmptyNotebook({ name: "ir", display_name: "R", language: "R" });
    expect(notebook.metadata.kernelspec?.name).toBe("ir");
    expect(notebook.metadata.language_info?.name).toBe("R");
  });

  it("stays plain JSON, so it can be stored as is", () => {
    const notebook = createEmptyNotebook();
    expect(JSON.parse(JSON.stringify(notebook))).toEqual(notebook);
  });
});

describe("insertCell", () => {
  it("inserts at an index, code by default, without touching the input", () => {
    const before = sample();
    const after = insertCell(before, 1, { id: "new", source: "x = 1" });
    expect(ids(after)).toEqual(["a", "new", "b", "c", "d"]);
    expect(after.cells[1]).toEqual({
      id: "new",
      cell_type: "code",
      metadata: {},
      source: "x = 1",
      outputs: [],
      execution_count: null,
    });
    expect(ids(before)).toEqual(["a", "b", "c", "d"]);
    expect(after.cells[0]).toBe(before.cells[0]);
  });

  it("creates markdown and raw cells and generates an id when none is given", () => {
    const after = insertCell(insertCell(sample(), 0, { cell_type: "markdown" }), 99, { cell_type: "raw" });
    expect(after.cells[0]).toMatchObject({ cell_type: "markdown", source: "" });
    expect(after.cells[0]).not.toHaveProperty("outputs");
    expect(after.cells.at(-1)).toMatchObject({ cell_type: "raw" });
    expect(new Set(ids(after)).size).toBe(6);
  });

  it("clamps indexes from stale clients", () => {
    expect(ids(insertCell(sample(), -5, { id: "n" }))[0]).toBe("n");
    expect(ids(insertCell(sample(), 1e9, { id: "n" })).at(-1)).toBe("n");
    expect(ids(insertCell(sample(), Number.NaN, { id: "n" }))[0]).toBe("n");
  });

  it("refuses a duplicate or invalid id", () => {
    expect(() => insertCell(sample(), 0, { id: "b" })).toThrow(NotebookError);
    expect(() => insertCell(sample(), 0, { id: "b" })).toThrow(/already exists/);
    try {
      insertCell(sample(), 0, { id: "../etc" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NotebookError);
      expect((error as NotebookError).code).toBe("invalid_cell_id");
    }
  });
});

describe("deleteCells", () => {
  it("deletes the given cells", () => {
    expect(ids(deleteCells(sample(), ["b", "d"]))).toEqual(["a", "c"]);
    expect(ids(deleteCells(sample(), []))).toEqual(["a", "b", "c", "d"]);
  });

  it("throws cell_not_found and deletes nothing when an id is unknown", () => {
    expect(() => deleteCells(sample(), ["a", "zzz"])).toThrow(
      expect.objectContaining({ code: "cell_not_found", cellId: "zzz" }),
    );
  });
});

describe("moveCells", () => {
  it("moves one cell so it lands at the target index", () => {
    expect(ids(moveCells(sample(), ["d"], 0))).toEqual(["d", "a", "b", "c"]);
    expect(ids(moveCells(sample(), ["a"], 3))).toEqual(["b", "c", "d", "a"]);
    expect(ids(moveCells(sample(), ["b"], 2))).toEqual(["a", "c", "b", "d"]);
  });

  it("moves several cells as one block in notebook order, whatever order the ids come in", () => {
    expect(ids(moveCells(sample(), ["d", "a"], 1))).toEqual(["b", "a", "d", "c"]);
    expect(ids(moveCells(sample(), ["b", "c"], 0))).toEqual(["b", "c", "a", "d"]);
    expect(ids(moveCells(sample(), ["a", "b"], 99))).toEqual(["c", "d", "a", "b"]);
  });

  it("throws for an unknown id", () => {
    expect(() => moveCells(sample(), ["nope"], 0)).toThrow(NotebookError);
  });
});

describe("setCellSource", () => {
  it("replaces the source and keeps outputs (they belong to the last run)", () => {
    const after = setCellSource(sample(), "b", "print(2)");
    expect(after.cells[1]).toMatchObject({
      source: "print(2)",
      outputs: [{ text: "1\n" }],
      execution_count: 1,
    });
  });

  it("returns the same notebook when nothing changes, and throws for an unknown id", () => {
    const notebook = sample();
    expect(setCellSource(notebook, "a", "# A")).toBe(notebook);
    expect(() => setCellSource(notebook, "nope", "")).toThrow(NotebookError);
  });
});

describe("setCellType", () => {
  it("code → markdown drops outputs and execution count, keeps id, source and metadata", () => {
    const after = setCellType(sample(), "b", "markdown");
    expect(after.cells[1]).toEqual({
      id: "b",
      cell_type: "markdown",
      metadata: { tags: ["t"] },
      source: "print(1)",
    });
  });

  it("markdown → code starts with no outputs", () => {
    const after = setCellType(sample(), "a", "code");
    expect(after.cells[0]).toEqual({
      id: "a",
      cell_type: "code",
      metadata: {},
      source: "# A",
      outputs: [],
      execution_count: null,
    });
  });

  it("raw → markdown keeps attachments; raw → code drops them", () => {
    expect(setCellType(sample(), "d", "markdown").cells[3]).toMatchObject({
      cell_type: "markdown",
      attachments: { "x.txt": { "text/plain": "x" } },
    });
    expect(setCellType(sample(), "d", "code").cells[3]).not.toHaveProperty("attachments");
  });

  it("keeps the notebook valid and returns it unchanged for the same type", () => {
    const notebook = sample();
    expect(setCellType(notebook, "c", "code")).toBe(notebook);
    for (const type of ["code", "markdown", "raw"] as const) {
      for (const id of ["a", "b", "c", "d"])
        expect(ZNotebook.safeParse(setCellType(notebook, id, type)).success).toBe(true);
    }
  });
});

describe("clearOutputs and setCellOutputs", () => {
  it("clears every code cell's outputs and execution count", () => {
    const after = clearOutputs(sample());
    expect(after.cells[1]).toMatchObject({ outputs: [], execution_count: null });
    expect(after.cells[3]).toEqual(sample().cells[3]);
  });

  it("clears only the given cells, and returns the same notebook when there is nothing to clear", () => {
    const notebook = sample();
    expect(clearOutputs(notebook, ["c"])).toBe(notebook);
    expect(clearOutputs(notebook, ["b"]).cells[1]).toMatchObject({ outputs: [] });
    expect(() => clearOutputs(notebook, ["nope"])).toThrow(NotebookError);
  });

  it("stores a run's outputs in a code cell and leaves a cell that stopped being code alone", () => {
    const outputs = [{ output_type: "stream" as const, name: "stdout", text: "2\n" }];
    expect(setCellOutputs(sample(), "c", outputs, 2).cells[2]).toMatchObject({ outputs, execution_count: 2 });
    const notebook = sample();
    expect(setCellOutputs(notebook, "a", outputs, 2)).toBe(notebook);
  });
});

describe("findCell", () => {
  it("finds a cell and its index", () => {
    expect(findCell(sample(), "c")).toMatchObject({ index: 2, cell: { id: "c" } });
    expect(findCell(sample(), "nope")).toBeUndefined();
  });
});
