// The per-account sign-in limit on a fake clock, over the real tables in PostgreSQL: free
// failures, doubling locks up to the cap, a success ending it, a known address not held by someone
// else's guessing, and two guards (two web servers) on one database counting the same guesses.
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignInGuard, type TSignInGuardOptions } from "./sign-in-guard.js";

let prisma: PrismaClient;
let closeDb: () => Promise<void>;
let accounts = 0;

beforeAll(async () => {
  const db = await createTestDatabase();
  prisma = db.prisma;
  closeDb = db.close;
}, 60_000);

afterAll(async () => {
  await closeDb?.();
});

/** A guard on a fake clock, and a fresh account name so tests do not share counters. */
function makeGuard(options: TSignInGuardOptions = {}) {
  let now = 1_000_000_000_000;
  const guard = createSignInGuard(prisma, { now: () => now, ...options });
  accounts += 1;
  return { guard, tick: (ms: number) => (now += ms), ann: `ann-${accounts}@example.test` };
}

describe("the per-account sign-in limit", () => {
  it("allows five failures, then locks for 1 s, 2 s, 4 s ... up to 15 minutes", async () => {
    const { guard, tick, ann } = makeGuard();
    for (let index = 0; index < 4; index += 1) await guard.recordFailure(ann.toUpperCase(), "192.0.2.1");
    expect(await guard.check(ann, "192.0.2.1")).toBeNull();
    await guard.recordFailure(ann, "192.0.2.2");
    expect((await guard.check(ann, "192.0.2.3"))?.retryAfterSeconds).toBe(1);
    tick(1_000);
    expect(await guard.check(ann, "192.0.2.3")).toBeNull();
    await guard.recordFailure(ann, "192.0.2.4");
    const lock = await guard.check(ann, "192.0.2.5");
    expect(lock?.retryAfterSeconds).toBe(2);
    expect(lock?.retryAt.getTime()).toBe(1_000_000_000_000 + 1_000 + 2_000);
    for (let index = 0; index < 30; index += 1) await guard.recordFailure(ann, `198.51.100.${index}`);
    expect((await guard.check(ann, "192.0.2.9"))?.retryAfterSeconds).toBe(15 * 60);
    // Another account is not affected.
    expect(await guard.check("bob@example.test", "192.0.2.9")).toBeNull();
  });

  it("lets a known address through someone else's lock, with its own counter", async () => {
    const { guard, ann } = makeGuard();
    await guard.recordSuccess(ann, "192.0.2.1");
    for (let index = 0; index < 20; index += 1) await guard.recordFailure(ann, "203.0.113.9");
    expect(await guard.check(ann, "203.0.113.10")).not.toBeNull();
    expect(await guard.check(ann, "192.0.2.1")).toBeNull();
    // The owner signing in leaves the attacker's lock in force.
    await guard.recordSuccess(ann, "192.0.2.1");
    expect(await guard.check(ann, "203.0.113.9")).not.toBeNull();
    // Guessing from the known address is limited as well.
    for (let index = 0; index < 6; index += 1) await guard.recordFailure(ann, "192.0.2.1");
    expect(await guard.check(ann, "192.0.2.1")).not.toBeNull();
  });

  it("forgets failures after a day and clears on success", async () => {
    const { guard, tick, ann } = makeGuard();
    for (let index = 0; index < 4; index += 1) await guard.recordFailure(ann, "192.0.2.1");
    tick(24 * 60 * 60_000 + 1);
    await guard.recordFailure(ann, "192.0.2.1");
    expect(await guard.check(ann, "192.0.2.1")).toBeNull();
    for (let index = 0; index < 3; index += 1) await guard.recordFailure(ann, "192.0.2.1");
    await guard.recordSuccess(ann, "192.0.2.1");
    await guard.recordFailure(ann, "192.0.2.1");
    expect(await guard.check(ann, "192.0.2.2")).toBeNull();
  });

  it("counts the guesses of every web server on the database together, also at the same moment", async () => {
    // Both on the database's clock, as in production; a minute's lock outlasts a slow test.
    const { ann } = makeGuard();
    const serverA = createSignInGuard(prisma, { baseDelayMs: 60_000 });
    const serverB = createSignInGuard(prisma, { baseDelayMs: 60_000 });
    // Concurrent failures on two servers: each is counted (one atomic upsert per key).
    await Promise.all([
      serverA.recordFailure(ann, "192.0.2.1"),
      serverB.recordFailure(ann, "192.0.2.2"),
      serverA.recordFailure(ann, "192.0.2.3"),
      serverB.recordFailure(ann, "192.0.2.4"),
    ]);
    expect(await serverA.check(ann, "192.0.2.5")).toBeNull();
    // The fifth failure, on the other server, locks the account on both (on the database's clock).
    await serverB.recordFailure(ann, "192.0.2.6");
    expect(await serverB.check(ann, "192.0.2.7")).not.toBeNull();
    const counter = await prisma.signInCounter.findUnique({ where: { key: ann } });
    expect(counter?.failures).toBe(5);
  });

  it("deletes forgotten counters and addresses as it goes", async () => {
    const { guard, tick, ann } = makeGuard({ pruneEveryMs: 0 });
    await guard.recordSuccess(ann, "192.0.2.2");
    await guard.recordFailure(ann, "192.0.2.1");
    expect(await prisma.signInCounter.count({ where: { key: { startsWith: ann } } })).toBe(2);
    expect(await prisma.signInKnownAddress.count({ where: { key: { startsWith: ann } } })).toBe(1);
    tick(31 * 24 * 60 * 60_000);
    await guard.recordFailure("someone-else@example.test", "192.0.2.9");
    expect(await prisma.signInCounter.count({ where: { key: { startsWith: ann } } })).toBe(0);
    expect(await prisma.signInKnownAddress.count({ where: { key: { startsWith: ann } } })).toBe(0);
  });
});
