// The code the broker sends a kernel to set a user's environment: run it in a real Python and
// check that every value arrives intact, hostile ones included, and nothing else runs.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { pythonEnvironmentUpdate } from "./broker";
import { findTestPythonEnv } from "./testing/runtime";

function runInPython(code: string): Record<string, string> {
  const python = `${findTestPythonEnv()}/bin/python`;
  const probe = `${code}\nimport json, os\nprint(json.dumps({k: v for k, v in os.environ.items() if k.startswith("FLINT_T")}))\nprint(sorted(k for k in globals() if k.startswith("_flint")))`;
  const [env, leftovers] = execFileSync(python, ["-c", probe], { encoding: "utf8" }).trim().split("\n");
  expect(leftovers).toBe("[]");
  return JSON.parse(env!) as Record<string, string>;
}

describe("pythonEnvironmentUpdate", () => {
  it("sets each variable exactly, however its value is quoted", () => {
    const env = {
      FLINT_T_URL: "http://127.0.0.1:3000",
      FLINT_T_QUOTES: `it's "quoted" \\ and ''' triple`,
      FLINT_T_BREAKOUT: '")\nimport os; os.system("echo pwned")\n("',
      FLINT_T_UNICODE: "café \u2028 ✓",
    };
    expect(runInPython(pythonEnvironmentUpdate(env))).toEqual(env);
  });
});
