import { describe, expect, it } from "vitest";
import { createEmptyNotebook } from "./cells";
import { type TNotebook, ZNotebook } from "./model";

function withCells(cells: unknown[]): unknown {
  return { ...createEmptyNotebook(), cells };
}

describe("ZNotebook (validating a notebook a browser sends to be saved)", () => {
  it("accepts a valid notebook", () => {
    expect(ZNotebook.safeParse(createEmptyNotebook()).success).toBe(true);
  });

  it("refuses duplicate or invalid cell ids", () => {
    const cell = (id: string) => ({ id, cell_type: "markdown", metadata: {}, source: "" });
    const duplicate = ZNotebook.safeParse(withCells([cell("a"), cell("a")]));
    expect(duplicate.success).toBe(false);
    expect(duplicate.error?.issues[0]).toMatchObject({
      path: ["cells", 1, "id"],
      message: 'duplicate cell id "a"',
    });
    expect(ZNotebook.safeParse(withCells([cell("a b")])).success).toBe(false);
  });

  it("refuses images that are not base64 in outputs and attachments", () => {
    const output = {
      id: "c",
      cell_type: "code",
      metadata: {},
      source: "",
      execution_count: null,
      outputs: [
        { output_type: "display_data", data: { "image/png": "<svg onload=alert(1)>" }, metadata: {} },
      ],
    };
    const result = ZNotebook.safeParse(withCells([output]));
    expect(result.error?.issues[0]).toMatchObject({ message: "image/png is not base64" });
    const attachment = {
      id: "m",
      cell_type: "markdown",
      metadata: {},
      source: "",
      attachments: { "a.png": { "image/jpeg": "javascript:alert(1)" } },
    };
    expect(ZNotebook.safeParse(withCells([attachment])).success).toBe(false);
  });

  it("refuses JSON nested deeper than the import limit, without overflowing the stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const notebook = { ...createEmptyNotebook(), metadata: { deep } } as TNotebook;
    expect(ZNotebook.safeParse(notebook).success).toBe(false);
  });

  it("refuses the wrong nbformat version and strings where lists belong", () => {
    expect(ZNotebook.safeParse({ ...createEmptyNotebook(), nbformat_minor: 4 }).success).toBe(false);
    const code = {
      id: "c",
      cell_type: "code",
      metadata: {},
      source: ["a"],
      outputs: [],
      execution_count: null,
    };
    expect(ZNotebook.safeParse(withCells([code])).success).toBe(false);
  });
});
