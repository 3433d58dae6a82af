/**
 * A deployment's scoring process past its memory limit (docs/models.md, "Safety of scoring
 * processes"): a real `flint.serving` process, a real pyfunc model saved with MLflow, a real
 * cgroup v1 memory group. A request that makes the model allocate past the limit gets the
 * memory error (not a bare broken connection), the process is gone, and a new deploy serves
 * again. Were the group not applied, the allocation would succeed and the request answer 200.
 */

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScoringManager, ScoringMemoryError } from "./scoring";
import { createLogCollector, createTestDataDir, findTestPythonEnv } from "./testing/runtime";

const LIMIT_BYTES = 700 * 1024 ** 2;
const isRootWithCgroupV1 = process.getuid?.() === 0 && existsSync("/sys/fs/cgroup/memory/cgroup.procs");

// A model that holds `mb` megabytes (written, so the pages are really used) while it predicts.
const SAVE_MODEL = `
import sys, mlflow.pyfunc, pandas as pd
from mlflow.models import infer_signature

class Hog(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        held = [b"x" * (1024 * 1024) for _ in range(int(model_input["mb"].iloc[0]))]
        return [len(held)] * len(model_input)

example = pd.DataFrame({"mb": [1.0]})
mlflow.pyfunc.save_model(sys.argv[1], python_model=Hog(), signature=infer_signature(example, [1]))
`;

describe.skipIf(!isRootWithCgroupV1)("scoring process memory limit", () => {
  const logs = createLogCollector();
  let dataDir: string;
  let modelDir: string;
  let scoring: ScoringManager;
  const python = path.join(findTestPythonEnv(), "bin", "python");
  const deployment = { id: "dep-memory", projectId: "projmem" };
  const stage = async (into: string) => {
    execFileSync("cp", ["-r", `${modelDir}/.`, into]);
  };
  const predict = async (mb: number) => {
    const answer = await scoring.predict(deployment.id, Buffer.from(JSON.stringify({ rows: [{ mb }] })));
    return {
      status: answer.status,
      body: JSON.parse(answer.body.toString("utf8")) as Record<string, unknown>,
    };
  };

  beforeAll(() => {
    dataDir = createTestDataDir("flint-scoring-test-");
    modelDir = path.join(dataDir, "hog-model");
    execFileSync(python, ["-c", SAVE_MODEL, modelDir], { stdio: "inherit" });
    scoring = new ScoringManager({
      pythonEnv: findTestPythonEnv(),
      dataDir,
      sandbox: null,
      memoryBytes: LIMIT_BYTES,
      log: logs.log,
    });
  });

  afterAll(async () => {
    await scoring?.close();
  });

  it("stops a process past its limit with a memory error, and a new deploy serves again", async () => {
    await scoring.deploy(deployment, "1", stage);
    expect(await predict(10)).toEqual({ status: 200, body: { predictions: [10] } });
    const pid = scoring.pidOf(deployment.id);
    // Its own memory group, with the limit: the process is in it.
    const groups = readFileSync(`/proc/${pid}/cgroup`, "utf8");
    expect(groups).toMatch(/:memory:.*\/deploy-dep-memory-/);

    const failure = await predict(2_000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ScoringMemoryError);
    expect((failure as Error).message).toContain("memory limit of 700 MiB");
    expect(scoring.isRunning(deployment.id)).toBe(false);

    // What the deployments service does next: start it again.
    await scoring.deploy(deployment, "1", stage);
    expect(await predict(5)).toEqual({ status: 200, body: { predictions: [5] } });
    expect(scoring.pidOf(deployment.id)).not.toBe(pid);
  }, 300_000);
});
