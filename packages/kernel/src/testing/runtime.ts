/**
 * Helpers for integration tests that run a real Jupyter Server, real kernels and real Spark.
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The Python environment of the tests: `FLINT_PYTHON_ENV`, else `/tmp/pyenv-warm`. */
export function findTestPythonEnv(): string {
  return process.env.FLINT_PYTHON_ENV ?? "/tmp/pyenv-warm";
}

/** A fresh data directory under the system temp dir. */
export function createTestDataDir(prefix = "flint-kernel-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Kernel environment for tests on a small shared machine: two local Spark threads and a small
 * driver, so several kernels (each with its own JVM) fit side by side.
 */
export const TEST_KERNEL_ENV: Record<string, string> = {
  SPARK_MASTER: "local[2]",
  PYSPARK_SUBMIT_ARGS: "--driver-memory 512m pyspark-shell",
};

/** Collects log lines instead of printing them. */
export function createLogCollector(): { log: (message: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (message) => lines.push(message) };
}
