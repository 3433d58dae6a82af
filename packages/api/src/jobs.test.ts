// Jobs through the API: who may make, run, change and read them, and what bad input answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let admin: TTestUser;
let editor: TTestUser;
let runner: TTestUser;
let viewer: TTestUser;
let projectId: string;
let notebookId: string;

const notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    {
      id: "p",
      cell_type: "code",
      source: 'city = "Oslo"\nyear = 2024',
      metadata: { tags: ["parameters"] },
      outputs: [],
      execution_count: null,
    },
    { id: "b", cell_type: "code", source: "print(city)", metadata: {}, outputs: [], execution_count: null },
  ],
};

beforeAll(async () => {
  t = await createTestApi();
  admin = await t.signUp("admin");
  editor = await t.signUp("editor");
  runner = await t.signUp("runner");
  viewer = await t.signUp("viewer");
  projectId = (await t.call("POST", "/api/v1/projects", { as: admin, via: "token", json: { name: "P" } }))
    .body.id as string;
  for (const [user, role] of [
    [editor, "editor"],
    [runner, "runner"],
    [viewer, "viewer"],
  ] as const) {
    await t.call("POST", `/api/v1/projects/${projectId}/members`, {
      as: admin,
      via: "token",
      json: { email: user!.email, role },
    });
  }
  notebookId = (
    await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: admin,
      via: "token",
      json: { name: "N", notebook },
    })
  ).body.id as string;
});
afterAll(async () => t.close());

describe("jobs API", () => {
  it("lets a runner schedule a notebook and run it with parameters; the run is queued with them", async () => {
    const created = await t.call("POST", "/api/v1/jobs", {
      as: runner,
      json: {
        notebookId,
        name: "Daily",
        cron: "30 6 * * 1-5",
        timeZone: "Europe/Oslo",
        parameters: { year: 2025 },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "Daily",
      owner: { id: runner.id },
      canEdit: true,
      canRun: true,
    });
    const next = new Date(created.body.nextRunAt as string);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(
      new Intl.DateTimeFormat("en-GB", {
        timeZone: "Europe/Oslo",
        hour: "2-digit",
        minute: "2-digit",
      }).format(next),
    ).toBe("06:30");
    const jobId = created.body.id as string;
    const run = await t.call("POST", `/api/v1/jobs/${jobId}/runs`, {
      as: runner,
      json: { parameters: { city: "Bergen" } },
    });
    expect(run.status).toBe(202);
    expect(run.body).toMatchObject({
      status: "queued",
      trigger: "manual",
      parameters: { year: 2025, city: "Bergen" },
    });
    const detail = await t.call("GET", `/api/v1/jobs/${jobId}`, { as: viewer });
    expect(detail.status).toBe(200);
    expect(detail.body.parameterDefaults).toEqual([
      { name: "city", expression: '"Oslo"' },
      { name: "year", expression: "2024" },
    ]);
    expect(detail.body).toMatchObject({ canEdit: false, canRun: false });
    const runPage = await t.call("GET", `/api/v1/job-runs/${run.body.id as string}`, { as: viewer });
    expect(runPage.body).toMatchObject({ jobName: "Daily", notebookName: "N", status: "queued" });
  });

  it("refuses viewers: they cannot create or run jobs", async () => {
    const jobId = (await t.call("POST", "/api/v1/jobs", { as: admin, json: { notebookId, name: "A" } })).body
      .id as string;
    const create = await t.call("POST", "/api/v1/jobs", { as: viewer, json: { notebookId, name: "V" } });
    expect(create.status).toBe(403);
    expect((create.body.error as { message: string }).message).toMatch(/viewer/);
    const run = await t.call("POST", `/api/v1/jobs/${jobId}/runs`, { as: viewer, json: {} });
    expect(run.status).toBe(403);
    expect(await t.prisma.jobRun.count({ where: { jobId } })).toBe(0);
    expect(await t.prisma.job.count({ where: { name: "V" } })).toBe(0);
  });

  it("lets only the owner or a project admin change or delete a job", async () => {
    const jobId = (await t.call("POST", "/api/v1/jobs", { as: runner, json: { notebookId, name: "R" } })).body
      .id as string;
    const byEditor = await t.call("PATCH", `/api/v1/jobs/${jobId}`, { as: editor, json: { retries: 3 } });
    expect(byEditor.status).toBe(403);
    expect((byEditor.body.error as { message: string }).message).toMatch(/only they or a project admin/);
    expect(
      (await t.call("PATCH", `/api/v1/jobs/${jobId}`, { as: admin, json: { retries: 3 } })).body.retries,
    ).toBe(3);
    expect((await t.call("DELETE", `/api/v1/jobs/${jobId}`, { as: editor })).status).toBe(403);
    expect((await t.call("DELETE", `/api/v1/jobs/${jobId}`, { as: runner })).status).toBe(200);
  });

  it("answers 400 with what to fix for a bad schedule, time zone, parameter name or version", async () => {
    const post = (json: Record<string, unknown>) =>
      t.call("POST", "/api/v1/jobs", { as: admin, json: { notebookId, name: "X", ...json } });
    expect(((await post({ cron: "every day" })).body.error as { message: string }).message).toMatch(
      /five fields/,
    );
    expect((await post({ cron: "61 * * * *" })).status).toBe(400);
    expect(
      ((await post({ cron: "0 6 * * *", timeZone: "Mars/Olympus" })).body.error as { message: string })
        .message,
    ).toMatch(/not a time zone/);
    const badName = await post({ parameters: { "x; import os": 1 } });
    expect(badName.status).toBe(400);
    expect(JSON.stringify(badName.body)).toMatch(/Python identifier/);
    expect(((await post({ checkpointId: "nope" })).body.error as { message: string }).message).toMatch(
      /not one of this notebook's/,
    );
    expect(await t.prisma.job.count({ where: { name: "X" } })).toBe(0);
  });
});

describe("job notifications", () => {
  it("shows the owner a failed run of their job in their notifications, and nobody else", async () => {
    const jobId = (
      await t.call("POST", "/api/v1/jobs", { as: runner, json: { notebookId, name: "Nightly" } })
    ).body.id as string;
    const run = await t.prisma.jobRun.create({
      data: { jobId, trigger: "manual", status: "failed", error: "ValueError: boom", notebookName: "N" },
    });
    await t.prisma.notification.create({ data: { userId: runner.id, kind: "job_failed", jobRunId: run.id } });
    const mine = await t.call("GET", "/api/v1/notifications", { as: runner });
    expect(mine.body.notifications).toEqual([
      expect.objectContaining({
        kind: "job_failed",
        read: false,
        comment: null,
        jobRun: { id: run.id, jobName: "Nightly", projectId, status: "failed", error: "ValueError: boom" },
      }),
    ]);
    expect((await t.call("GET", "/api/v1/notifications", { as: editor })).body.notifications).toEqual([]);
  });
});
