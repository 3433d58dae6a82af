/**
 * Jobs with real kernels (a real Jupyter Server), a real PostgreSQL and the real pg-boss queue:
 * parameters reach the run, a failing cell fails the run and is retried, a timeout kills the
 * kernel, and a schedule fires once per minute across a restart, with two servers ticking.
 */

import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { createKernelRuntime, type TKernelRuntime } from "@flint/kernel";
import { MemoryCellRunStore } from "@flint/kernel/testing";
import type { TCell } from "@flint/notebook";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobRun, startJobService, type TJobService } from "./index";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const pythonEnv = process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python");

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;
let runtime: TKernelRuntime;
let service: TJobService;
const logs: string[] = [];
let projectId: string;
const ownerId = "owner-1";

function code(source: string, tags?: string[]): Record<string, unknown> {
  return {
    id: `c${Math.random().toString(36).slice(2, 10)}`,
    cell_type: "code",
    metadata: tags ? { tags } : {},
    source,
  };
}

async function makeJob(
  cells: Record<string, unknown>[],
  job: {
    parameters?: Record<string, unknown>;
    retries?: number;
    timeoutSeconds?: number;
    cron?: string;
    nextRunAt?: Date;
  } = {},
) {
  const notebook = await prisma.notebook.create({
    data: {
      projectId,
      name: `nb ${Math.random()}`,
      cells: cells as object[],
      metadata: {},
      createdById: ownerId,
    },
  });
  return prisma.job.create({
    data: {
      projectId,
      notebookId: notebook.id,
      name: "test job",
      ownerId,
      parameters: (job.parameters ?? {}) as object,
      retries: job.retries ?? 0,
      timeoutSeconds: job.timeoutSeconds ?? 300,
      cron: job.cron ?? null,
      nextRunAt: job.nextRunAt ?? null,
    },
  });
}

const ENDED = ["succeeded", "failed", "timed_out"];

async function waitForRun(runId: string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await prisma.jobRun.findUniqueOrThrow({ where: { id: runId } });
    if (ENDED.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function textOf(content: unknown): string[] {
  const cells = (content as { cells: TCell[] }).cells;
  return cells.map((cell) =>
    cell.cell_type === "code"
      ? cell.outputs
          .map((output) =>
            output.output_type === "stream"
              ? output.text
              : output.output_type === "error"
                ? `${output.ename}: ${output.evalue}`
                : "",
          )
          .join("")
      : "",
  );
}

function startService(): Promise<TJobService> {
  return startJobService({
    prisma,
    databaseUrl: db.url,
    kernels: runtime.kernels,
    mayRun: async () => true,
    log: (message) => logs.push(message),
    tickMs: 1_000,
    retryDelaySeconds: 1,
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
  await prisma.user.create({ data: { id: ownerId, name: "Ada", email: "ada@example.test" } });
  const project = await prisma.project.create({
    data: { name: "jobs", createdById: ownerId, members: { create: { userId: ownerId, role: "admin" } } },
  });
  projectId = project.id;
  runtime = createKernelRuntime({
    pythonEnv,
    dataDir: (await import("node:fs")).mkdtempSync(
      path.join((await import("node:os")).tmpdir(), "flint-jobs-test-"),
    ),
    store: new MemoryCellRunStore(),
    warmPoolSize: 0,
    log: (message) => logs.push(message),
    // As the server starts kernels: in the project's bubblewrap sandbox where it works here.
    sandbox: {
      mode: "auto",
      apiPort: 39_998,
      memoryBytes: 1536 * 1024 ** 2,
      projectOf: async () => projectId,
    },
  });
  await runtime.start();
  service = await startService();
});

afterAll(async () => {
  await service?.stop();
  await runtime?.stop();
  await db?.close();
});

describe("jobs with real kernels", () => {
  it("runs a parameterized notebook twice with two values into two run records", async () => {
    const job = await makeJob(
      [code('city = "Oslo"\ntimes = 1', ["parameters"]), code('print(f"{city}:{times * 2}")')],
      { parameters: { times: 3 } },
    );
    const first = await createJobRun(prisma, {
      jobId: job.id,
      trigger: "manual",
      parameters: { city: "Bergen" },
    });
    const second = await createJobRun(prisma, {
      jobId: job.id,
      trigger: "manual",
      parameters: { city: 'Tromsø"\nraise SystemExit', times: 5 },
    });
    await service.enqueue(first!.id);
    await service.enqueue(second!.id);
    const [a, b] = await Promise.all([waitForRun(first!.id), waitForRun(second!.id)]);
    expect(a.status).toBe("succeeded");
    expect(b.status).toBe("succeeded");
    expect(textOf(a.content)).toEqual(["", "", "Bergen:6\n"]);
    // A value that looks like code stays a string.
    expect(textOf(b.content)).toEqual(["", "", 'Tromsø"\nraise SystemExit:10\n']);
    const injected = (a.content as { cells: TCell[] }).cells[1]!;
    expect(injected.metadata.tags).toEqual(["injected-parameters"]);
    expect(injected.source.split("\n").sort()).toEqual(["# Parameters", 'city = "Bergen"', "times = 3"]);
    expect(a.durationMs).toBeGreaterThan(0);
    expect(await prisma.jobRun.count({ where: { jobId: job.id } })).toBe(2);
  });

  it("marks a run with a failing cell failed with its error, retries it, and notifies the owner", async () => {
    const job = await makeJob(
      [code("print('before')"), code("raise ValueError('boom')"), code("print('never')")],
      {
        retries: 1,
      },
    );
    const run = await createJobRun(prisma, { jobId: job.id, trigger: "manual" });
    await service.enqueue(run!.id);
    const done = await waitForRun(run!.id);
    expect(done.status).toBe("failed");
    expect(done.error).toBe("ValueError: boom");
    expect(done.attempts).toBe(2);
    expect(done.log).toContain("attempt 1 of 2: failed, retrying");
    expect(done.log).toContain("attempt 2 of 2: failed");
    expect(textOf(done.content)).toEqual(["before\n", "ValueError: boom", ""]);
    const notices = await prisma.notification.findMany({ where: { jobRunId: run!.id } });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ userId: ownerId, kind: "job_failed" });
  });

  it("kills the kernel of a run that takes longer than its timeout", async () => {
    const job = await makeJob([code("import time\nprint('started', flush=True)\ntime.sleep(600)")], {
      timeoutSeconds: 20,
    });
    const run = await createJobRun(prisma, { jobId: job.id, trigger: "manual" });
    await service.enqueue(run!.id);
    const done = await waitForRun(run!.id);
    expect(done.status).toBe("timed_out");
    expect(done.error).toMatch(/took longer than its timeout \(20 s\)/);
    expect(textOf(done.content)[0]).toBe("started\n");
    // Jupyter no longer has the run's kernel (it shut it down, its process with it).
    const kernelId = /kernel (\S+) started/.exec(done.log)?.[1];
    expect(kernelId).toBeTruthy();
    const { settings } = await runtime.jupyter.ready();
    const listKernels = async () =>
      (await (
        await fetch(new URL("api/kernels", settings.baseUrl), {
          headers: { authorization: `token ${settings.token}` },
        })
      ).json()) as { id: string }[];
    const deadline = Date.now() + 15_000;
    while ((await listKernels()).some((kernel) => kernel.id === kernelId) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect((await listKernels()).map((kernel) => kernel.id)).not.toContain(kernelId);
  });

  it("fires an every-minute schedule once per minute across a restart, with two servers ticking", async () => {
    const minute = 60_000;
    const first = new Date(Math.ceil((Date.now() + 1_000) / minute) * minute);
    const job = await makeJob([code("print('tick')")], { cron: "* * * * *", nextRunAt: first });
    const until = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
    // Server A fires the first minute, then stops; the second minute passes while none runs.
    await until(first.getTime() + 5_000);
    await service.stop();
    await until(first.getTime() + minute + 5_000);
    // Two servers start on the same database: the missed minute fires once, then the next.
    const [b1, b2] = await Promise.all([startService(), startService()]);
    service = b1;
    try {
      await until(first.getTime() + 2 * minute + 6_000);
    } finally {
      await b2.stop();
    }
    const runs = await prisma.jobRun.findMany({ where: { jobId: job.id }, orderBy: { scheduledFor: "asc" } });
    expect(runs.map((run) => run.scheduledFor?.getTime())).toEqual([
      first.getTime(),
      first.getTime() + minute,
      first.getTime() + 2 * minute,
    ]);
    for (const run of runs) expect((await waitForRun(run.id)).status).toBe("succeeded");
  }, 240_000);
});
