// The snippets a deployment's page shows: what they send must be what the predict route takes.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { curlSnippet, examplePayload, pythonSnippet } from "./snippets";

describe("deployment snippets", () => {
  it("build an example row from the model's input columns", () => {
    expect(
      examplePayload([
        { name: "orders", type: "double" },
        { name: "visits", type: "long" },
        { name: "plan", type: "string" },
        { name: "active", type: "boolean" },
      ]),
    ).toEqual({ rows: [{ orders: 1.5, visits: 1, plan: "text", active: true }] });
    expect(examplePayload(null).rows).toHaveLength(1);
  });

  it("give a curl command a shell runs as written, quotes in values included", () => {
    const payload = { rows: [{ name: "O'Brien", n: 1 }] };
    const snippet = curlSnippet("http://flint.test/api/v1/deployments/d/predict", "flint_dk_x", payload);
    // The shell's own reading of the -d argument is the JSON payload, unchanged.
    const data = snippet.split("-d ")[1]!;
    const read = execFileSync("sh", ["-c", `printf %s ${data}`], { encoding: "utf8" });
    expect(JSON.parse(read)).toEqual(payload);
    expect(snippet).toContain("Authorization: Bearer flint_dk_x");
  });

  it("give Python literals, not JSON, in the Python snippet", () => {
    const snippet = pythonSnippet("http://flint.test/p", "k", { rows: [{ a: true, b: null, c: false }] });
    expect(snippet).toContain('json={"rows": [{"a": True, "b": None, "c": False}]}');
  });
});
