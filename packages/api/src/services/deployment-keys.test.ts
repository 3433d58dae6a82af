/**
 * The predict route's key gate on a real PostgreSQL, as two web servers of one database: a
 * verified key is cached (a change made behind Flint's back is not seen), a revocation clears it
 * on the server that revoked at once and on the other through PostgreSQL's NOTIFY; and each key
 * has its own request count, shared by both servers, answered 429 with when to retry.
 */
import { createPrismaClient, type PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../errors.js";
import { errorResponse } from "../router.js";
import {
  createDeploymentKey,
  createDeploymentKeyGate,
  revokeDeploymentKey,
  type TDeploymentKeyGate,
} from "./deployment-keys.js";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let otherServerDb: PrismaClient;
const gates: TDeploymentKeyGate[] = [];
let deploymentId: string;
let userId: string;

const request = (secret: string) =>
  new Request("http://flint.test/api/v1/deployments/churn/predict", {
    method: "POST",
    headers: { authorization: `Bearer ${secret}` },
  });

/** The gate's answer as a status: 200 for a resolved key, else the AppError's status. */
async function statusOf(gate: TDeploymentKeyGate, secret: string, name = "churn"): Promise<number> {
  try {
    await gate.resolve(request(secret), name);
    return 200;
  } catch (error) {
    if (error instanceof AppError) return error.status;
    throw error;
  }
}

async function gateOf(prisma: PrismaClient, ratePerMinute = 0): Promise<TDeploymentKeyGate> {
  const gate = createDeploymentKeyGate(prisma, { ratePerMinute });
  gates.push(gate);
  // Until it listens for revocations a gate caches nothing (it could miss one).
  await gate.listening();
  return gate;
}

beforeAll(async () => {
  db = await createTestDatabase();
  otherServerDb = createPrismaClient(db.url);
  const user = await db.prisma.user.create({
    data: { id: "u-keys", name: "Ann", email: "ann@keys.test" },
  });
  userId = user.id;
  const project = await db.prisma.project.create({ data: { name: "Keys", createdById: userId } });
  const deployment = await db.prisma.deployment.create({
    data: {
      name: "churn",
      projectId: project.id,
      modelName: "churn",
      modelVersion: "1",
      createdById: userId,
    },
  });
  deploymentId = deployment.id;
});

afterAll(async () => {
  for (const gate of gates) await gate.close();
  await otherServerDb?.$disconnect();
  await db?.close();
});

/** Resolves once `gate` answers 401 for `secret` (the notice reached it); the test's timeout guards it. */
async function untilRefused(gate: TDeploymentKeyGate, secret: string): Promise<void> {
  while ((await statusOf(gate, secret)) !== 401) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("deployment key gate", () => {
  it("caches verified keys and forgets a revoked key on this server at once and on another by NOTIFY", async () => {
    const here = await gateOf(db.prisma);
    const there = await gateOf(otherServerDb);
    const { key, secret } = await createDeploymentKey(db.prisma, deploymentId, "app", userId);
    expect(await statusOf(here, secret)).toBe(200);
    expect(await statusOf(there, secret)).toBe(200);
    expect(await statusOf(here, "flint_dk_unknown")).toBe(401);
    // A key of this deployment on another deployment's URL: 404, cached or not.
    expect(await statusOf(here, secret, "other")).toBe(404);

    // Cached: a revocation written behind Flint's back (no notice) is not seen by either server...
    await db.prisma.deploymentKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    expect(await statusOf(here, secret)).toBe(200);
    expect(await statusOf(there, secret)).toBe(200);
    await db.prisma.deploymentKey.update({ where: { id: key.id }, data: { revokedAt: null } });

    // ...Flint's revocation is: the revoking server forgets before answering (the route calls
    // `forget`), the other hears it through PostgreSQL.
    await revokeDeploymentKey(db.prisma, deploymentId, key.id);
    here.forget({ keyId: key.id });
    expect(await statusOf(here, secret)).toBe(401);
    await untilRefused(there, secret);
    expect(await statusOf(there, secret)).toBe(401);
  }, 60_000);

  it("counts each key's requests across servers and answers 429 with Retry-After past the limit", async () => {
    const here = await gateOf(db.prisma, 3);
    const there = await gateOf(otherServerDb, 3);
    const { secret } = await createDeploymentKey(db.prisma, deploymentId, "busy", userId);
    const other = await createDeploymentKey(db.prisma, deploymentId, "quiet", userId);
    expect(await statusOf(here, secret)).toBe(200);
    expect(await statusOf(there, secret)).toBe(200);
    expect(await statusOf(here, secret)).toBe(200);
    // The fourth in the minute, whichever server it reaches.
    const refused = await there.resolve(request(secret), "churn").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).status).toBe(429);
    const retryAfter = (refused as AppError).details?.retryAfter as number;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((refused as AppError).message).toContain("more than 3 requests in a minute");
    const answer = errorResponse(refused as AppError);
    expect(answer.status).toBe(429);
    expect(answer.headers.get("retry-after")).toBe(String(retryAfter));
    // Another key of the same deployment has its own count.
    expect(await statusOf(here, other.secret)).toBe(200);
  }, 60_000);

  it("claims a key's minute in shares and never admits more than the limit across servers", async () => {
    // 100 a minute: each server claims 2 at a time (one statement per 2 predictions).
    const here = await gateOf(db.prisma, 100);
    const there = await gateOf(otherServerDb, 100);
    const { secret } = await createDeploymentKey(db.prisma, deploymentId, "shared", userId);
    const answers: number[] = [];
    for (let index = 0; index < 130; index++) answers.push(await statusOf(index % 2 ? there : here, secret));
    expect(answers.filter((status) => status === 200)).toHaveLength(100);
    expect(answers.slice(100).every((status) => status === 429)).toBe(true);
  }, 60_000);
});
