// Notebook tokens as the broker hands them to kernels (issue 13): scoped to (user, notebook),
// rotated when another user runs a cell in the same kernel, revoked when the kernel stops.
import { verifyNotebookToken } from "@flint/catalog";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunPreparer } from "./services/run-environment.js";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let ada: TTestUser;
let bob: TTestUser;
let notebookId: string;
let projectId: string;

beforeAll(async () => {
  t = await createTestApi();
  ada = await t.signUp("Ada");
  bob = await t.signUp("Bob");
  projectId = (await t.call("POST", "/api/v1/projects", { as: ada, via: "token", json: { name: "Tokens" } }))
    .body.id as string;
  await t.call("POST", `/api/v1/projects/${projectId}/members`, {
    as: ada,
    via: "token",
    json: { email: bob.email, role: "runner" },
  });
  notebookId = (
    await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: ada,
      via: "token",
      json: { name: "nb", notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] } },
    })
  ).body.id as string;
});
afterAll(async () => t.close());

describe("notebook tokens of a kernel", () => {
  it("is the runner's, rotates when another user runs, and dies with the kernel", async () => {
    const prepare = createRunPreparer(t.prisma, t.config);
    const first = await prepare({ userId: ada.id, userName: ada.email, notebookId });
    const adaToken = first!.FLINT_API_TOKEN!;
    expect(await verifyNotebookToken(t.prisma, adaToken)).toMatchObject({
      userId: ada.id,
      notebookId,
      projectId,
    });
    // Ada's next cell reuses it.
    expect((await prepare({ userId: ada.id, userName: ada.email, notebookId }))!.FLINT_API_TOKEN).toBe(
      adaToken,
    );

    // Bob runs a cell in the same kernel: Ada's token, still in that process's memory, dies.
    const bobToken = (await prepare({ userId: bob.id, userName: bob.email, notebookId }))!.FLINT_API_TOKEN!;
    expect(bobToken).not.toBe(adaToken);
    expect(await verifyNotebookToken(t.prisma, adaToken)).toBeNull();
    expect(await verifyNotebookToken(t.prisma, bobToken)).toMatchObject({ userId: bob.id });

    // The kernel stops: nothing it held works any more; the next run gets a fresh token.
    expect(await prepare.revokeNotebook(notebookId)).toBeGreaterThan(0);
    expect(await verifyNotebookToken(t.prisma, bobToken)).toBeNull();
    const fresh = (await prepare({ userId: bob.id, userName: bob.email, notebookId }))!.FLINT_API_TOKEN!;
    expect(fresh).not.toBe(bobToken);
    expect(await verifyNotebookToken(t.prisma, fresh)).toMatchObject({ userId: bob.id });
  });

  it("gives a job run's kernel a token of its own: the interactive kernel's rotation and stop leave it, the run's end revokes it", async () => {
    const prepare = createRunPreparer(t.prisma, t.config);
    // Bob works in the notebook's interactive kernel while Ada's scheduled job runs it.
    const bobToken = (await prepare({ userId: bob.id, userName: bob.email, notebookId }))!.FLINT_API_TOKEN!;
    const job = await prepare.forJobRun({
      userId: ada.id,
      userName: ada.email,
      notebookId,
      jobRunId: "run-1",
      ttlMs: 60 * 60_000,
    });
    const jobToken = job!.FLINT_API_TOKEN!;
    expect(job!.MLFLOW_TRACKING_TOKEN).toBe(jobToken);
    expect(jobToken).not.toBe(bobToken);
    expect(await verifyNotebookToken(t.prisma, jobToken)).toMatchObject({
      userId: ada.id,
      notebookId,
      projectId,
    });
    // The job's token did not rotate Bob's away (his kernel is another process).
    expect(await verifyNotebookToken(t.prisma, bobToken)).toMatchObject({ userId: bob.id });
    // Ada then runs a cell interactively: Bob's interactive token rotates, the job's stays.
    const adaToken = (await prepare({ userId: ada.id, userName: ada.email, notebookId }))!.FLINT_API_TOKEN!;
    expect(adaToken).not.toBe(jobToken);
    expect(await verifyNotebookToken(t.prisma, bobToken)).toBeNull();
    expect(await verifyNotebookToken(t.prisma, jobToken)).not.toBeNull();
    // The interactive kernel stops: the job run keeps working.
    await prepare.revokeNotebook(notebookId);
    expect(await verifyNotebookToken(t.prisma, adaToken)).toBeNull();
    expect(await verifyNotebookToken(t.prisma, jobToken)).not.toBeNull();
    // The run ends: its token dies.
    expect(await prepare.revokeJobRun("run-1")).toBe(1);
    expect(await verifyNotebookToken(t.prisma, jobToken)).toBeNull();
  });
});
