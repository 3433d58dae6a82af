import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OutputSpool, outputSpoolPath, textOfMessage } from "./output-spool";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "flint-spool-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("OutputSpool", () => {
  it("writes nothing for a run under the cap, and removes the previous run's file", async () => {
    const dir = tempDir();
    const file = outputSpoolPath(dir, "nb", "c1");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, "last run");
    const spool = new OutputSpool(dir, "nb", "c1", { memoryBytes: 100, maxFileBytes: 1000 });
    expect(existsSync(file)).toBe(false);
    spool.append("stream", { name: "stdout", text: "short\n" });
    await spool.close();
    expect(existsSync(file)).toBe(false);
  });

  it("keeps everything in order once over the cap, up to the file limit, and says where it stopped", async () => {
    const dir = tempDir();
    const spool = new OutputSpool(dir, "nb", "c/../../x", { memoryBytes: 20, maxFileBytes: 60 });
    spool.append("stream", { name: "stdout", text: "0123456789\n" });
    spool.append("execute_result", { data: { "text/plain": ["4", "2"] }, execution_count: 1 });
    spool.append("stream", { name: "stderr", text: "abcdefghij\n" });
    spool.append("error", { ename: "E", evalue: "v", traceback: ["\u001b[31mTraceback\u001b[0m", "E: v"] });
    spool.append("stream", { name: "stdout", text: "x".repeat(100) });
    await spool.close();
    const file = outputSpoolPath(dir, "nb", "c/../../x");
    // Ids are hashed into names: no id can point outside the spool directory.
    expect(path.dirname(path.dirname(file))).toBe(dir);
    expect(readFileSync(file, "utf8")).toBe(
      "0123456789\n42\nabcdefghij\nTraceback\nE: v\n\n[Flint kept the first 0 MB of this output; the rest was not saved.]\n",
    );
  });

  it("takes the text of streams, plain results and tracebacks, not of other messages", () => {
    expect(textOfMessage("stream", { text: "a" })).toBe("a");
    expect(textOfMessage("display_data", { data: { "image/png": "..." } })).toBe("");
    expect(textOfMessage("clear_output", { wait: false })).toBe("");
    expect(textOfMessage("error", { ename: "KeyError", evalue: "'x'" })).toBe("KeyError: 'x'\n");
  });
});
