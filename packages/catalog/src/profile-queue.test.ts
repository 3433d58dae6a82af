/**
 * The profile queue's order and the place it shows, on a real PostgreSQL (issue 17): a person's
 * upload queued behind another person's bulk registration is next in line, with an estimate.
 */
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getLatestProfileRun, ProfileQueue } from "./profiler";

let prisma: PrismaClient;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ prisma, close } = await createTestDatabase());
  await prisma.$executeRawUnsafe(`insert into "user" (id, name, email, "updatedAt") values
    ('ada', 'Ada', 'ada@test.flint', now()), ('bob', 'Bob', 'bob@test.flint', now())`);
  await prisma.$executeRawUnsafe(`insert into project (id, name, "updatedAt", "createdById") values
    ('pa', 'Ada''s', now(), 'ada'), ('pb', 'Bob''s', now(), 'bob')`);
});

afterAll(async () => {
  await close?.();
});

async function queueAsset(
  projectId: string,
  name: string,
  requestedById: string,
  sizeBytes: number,
  createdAt: Date,
) {
  const asset = await prisma.catalogAsset.create({
    data: {
      projectId,
      name,
      qualifiedName: name,
      kind: "file",
      format: "csv",
      location: `uploads/${name}.csv`,
      sizeBytes: BigInt(sizeBytes),
      profileStatus: "queued",
    },
  });
  await prisma.catalogProfileRun.create({ data: { assetId: asset.id, requestedById, createdAt } });
  return asset.id;
}

describe("the profile queue", () => {
  it("puts Bob's upload next after Ada's 40 queued profiles, with their typical duration as the estimate", async () => {
    const start = Date.now() - 60_000;
    // Three of Ada's took 12 s each; one of hers is running for 5 s now.
    for (let index = 0; index < 3; index++) {
      const id = await queueAsset("pa", `done_${index}`, "ada", 100, new Date(start));
      await prisma.catalogProfileRun.updateMany({
        where: { assetId: id },
        data: {
          status: "done",
          startedAt: new Date(start + index * 12_000),
          finishedAt: new Date(start + (index + 1) * 12_000),
        },
      });
    }
    const running = await queueAsset("pa", "running_now", "ada", 100, new Date(start));
    const runningSince = Date.now() - 5_000;
    await prisma.catalogProfileRun.updateMany({
      where: { assetId: running },
      data: { status: "running", startedAt: new Date(runningSince) },
    });
    for (let index = 0; index < 40; index++)
      await queueAsset("pa", `bulk_${index}`, "ada", 1000 + index, new Date(start + 1000));
    const upload = await queueAsset("pb", "bobs_upload", "bob", 50_000, new Date());

    // The running profile's time left is the typical 12 s less its age when the queue was read,
    // which is 5 s plus however long the inserts above took on this machine.
    const readFrom = Date.now();
    const bobs = await getLatestProfileRun(prisma, upload);
    const readTo = Date.now();
    const left = (at: number) => Math.max(1, 12 - (at - runningSince) / 1000);
    expect(bobs?.status).toBe("queued");
    expect(bobs?.queuePosition).toBe(1);
    expect(bobs?.estimatedStartSeconds).toBeGreaterThanOrEqual(Math.round(left(readTo)));
    expect(bobs?.estimatedStartSeconds).toBeLessThanOrEqual(Math.round(left(readFrom)));

    // Ada's smallest queued file is second in line (her turn comes after Bob's), her largest last.
    const adas = await prisma.catalogAsset.findMany({ where: { name: { in: ["bulk_0", "bulk_39"] } } });
    const first = await getLatestProfileRun(prisma, adas.find((asset) => asset.name === "bulk_0")!.id);
    const lastFrom = Date.now();
    const last = await getLatestProfileRun(prisma, adas.find((asset) => asset.name === "bulk_39")!.id);
    const lastTo = Date.now();
    expect(first?.queuePosition).toBe(2);
    expect(last?.queuePosition).toBe(41);
    expect(last?.estimatedStartSeconds).toBeGreaterThanOrEqual(Math.round(left(lastTo) + 40 * 12));
    expect(last?.estimatedStartSeconds).toBeLessThanOrEqual(Math.round(left(lastFrom) + 40 * 12));
  });

  it("on start fails only the runs an earlier process left running, not one it started itself", async () => {
    const leftOver = await queueAsset("pa", "left_over", "ada", 100, new Date(Date.now() - 120_000));
    await prisma.catalogProfileRun.updateMany({
      where: { assetId: leftOver },
      data: { status: "running", startedAt: new Date(Date.now() - 60_000) },
    });
    const queue = new ProfileQueue({
      prisma,
      dataDir: "/nonexistent",
      pythonEnv: "/nonexistent",
      secretKey: Buffer.alloc(32),
    });
    // A profile this process started (the sample catalog's, queued at start) is running already.
    const ownRun = await queueAsset("pb", "started_here", "bob", 100, new Date());
    await prisma.catalogProfileRun.updateMany({
      where: { assetId: ownRun },
      data: { status: "running", startedAt: new Date() },
    });
    queue.resume();
    await expect.poll(async () => (await getLatestProfileRun(prisma, leftOver))?.status).toBe("failed");
    expect((await getLatestProfileRun(prisma, leftOver))?.error).toBe(
      "Flint restarted while this profile was running; run it again.",
    );
    expect((await getLatestProfileRun(prisma, ownRun))?.status).toBe("running");
    // Other tests' queued runs would be worked by this queue: stop it before it takes any.
    await queue.stop();
  });
});
