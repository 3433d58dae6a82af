/**
 * The warm profiler process with real Python and Spark: several jobs on one JVM, a failed job
 * does not end it, and a killed process fails its job with a reason.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ProfileJobError, ProfilerProcess } from "./profiler-process";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const pythonEnv = process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python");
const python = path.join(pythonEnv, "bin", "python");
const work = mkdtempSync(path.join(os.tmpdir(), "flint-profiler-"));
const processes: ProfilerProcess[] = [];

afterAll(() => {
  for (const profiler of processes) profiler.kill();
  rmSync(work, { recursive: true, force: true });
});

function start(): ProfilerProcess {
  const env: Record<string, string> = {
    PYTHONPATH: path.join(root, "packages/python"),
    PYSPARK_PYTHON: python,
    SPARK_LOCAL_IP: "127.0.0.1",
  };
  for (const name of ["PATH", "HOME", "JAVA_HOME", "LANG", "TMPDIR"]) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  const profiler = new ProfilerProcess("file", { python, env, cwd: work });
  processes.push(profiler);
  return profiler;
}

function csvJob(name: string, rows: number): Record<string, unknown> {
  const file = path.join(work, `${name}.csv`);
  writeFileSync(file, `id,label\n${Array.from({ length: rows }, (_, i) => `${i},row ${i}`).join("\n")}\n`);
  return {
    source: { type: "file", format: "csv", path: file, options: { header: "true", inferSchema: "true" } },
    output: path.join(work, `${name}.json`),
    maxRows: 1_000_000,
    master: "local[1]",
    previewRows: 5,
  };
}

describe.skipIf(!existsSync(python))("the warm profiler process", () => {
  it("profiles several files on one JVM, survives a failed job, and fails a killed one with a reason", async () => {
    const profiler = start();
    const progress: string[] = [];
    await profiler.run(csvJob("first", 10), (_, message) => progress.push(message));
    expect(JSON.parse(readFileSync(path.join(work, "first.json"), "utf8")).rowCount).toBe(10);
    expect(progress).toContain("Starting Spark");

    // The second job finds Spark up: no "Starting Spark".
    progress.length = 0;
    await profiler.run(csvJob("second", 250), (_, message) => progress.push(message));
    expect(JSON.parse(readFileSync(path.join(work, "second.json"), "utf8")).rowCount).toBe(250);
    expect(progress).not.toContain("Starting Spark");

    const missing = {
      ...csvJob("third", 1),
      source: { type: "file", format: "csv", path: "/nonexistent/x.csv" },
    };
    await expect(profiler.run(missing, () => undefined)).rejects.toThrow(
      /Spark could not profile this asset: .+/,
    );
    expect(profiler.isAlive).toBe(true);
    await profiler.run(csvJob("fourth", 3), () => undefined);
    expect(JSON.parse(readFileSync(path.join(work, "fourth.json"), "utf8")).rowCount).toBe(3);

    const running = profiler.run(csvJob("killed", 5), () => undefined);
    profiler.kill();
    await expect(running).rejects.toBeInstanceOf(ProfileJobError);
    await expect.poll(() => profiler.isAlive).toBe(false);
  }, 300_000);
});
