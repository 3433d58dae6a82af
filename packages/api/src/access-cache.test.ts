// The socket's memory of access facts (access-cache.ts, issue 23): facts are kept for the TTL,
// forgotten at once by `accessChanged()` on this server and by a PostgreSQL notification for a
// change made anywhere else, and `authorize` still decides every check from them.
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessChanged, createAccessCache, listenForAccessChanges } from "./access-cache.js";
import { authorize, CachedAccess, type TActor } from "./authorize.js";

describe("the access cache", () => {
  it("keeps a fact for the TTL, then loads it again", async () => {
    let clock = 0;
    const cache = createAccessCache({ ttlMs: 1_000, now: () => clock });
    cache.setEnabled(true);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.remember("k", load)).toBe(1);
    clock = 999;
    expect(await cache.remember("k", load)).toBe(1);
    clock = 1_000;
    expect(await cache.remember("k", load)).toBe(2);
    cache.dispose();
  });

  it("forgets on accessChanged(), never keeps a null, and keeps nothing while off", async () => {
    const cache = createAccessCache();
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.remember("k", load)).toBe(1);
    expect(await cache.remember("k", load)).toBe(2); // off: every call loads
    cache.setEnabled(true);
    expect(await cache.remember("k", load)).toBe(3);
    expect(await cache.remember("k", load)).toBe(3);
    accessChanged();
    expect(await cache.remember("k", load)).toBe(4);
    let nulls = 0;
    const none = async () => {
      nulls += 1;
      return null;
    };
    await cache.remember("n", none);
    await cache.remember("n", none);
    expect(nulls).toBe(2);
    cache.dispose();
  });

  it("does not keep a fact whose load overlapped a change (it may have read the old state)", async () => {
    const cache = createAccessCache();
    cache.setEnabled(true);
    let release: (value: string) => void = () => undefined;
    const pending = cache.remember("k", () => new Promise<string>((resolve) => (release = resolve)));
    accessChanged();
    release("before the change");
    expect(await pending).toBe("before the change");
    expect(await cache.remember("k", async () => "after")).toBe("after");
    cache.dispose();
  });
});

describe("authorize from the access cache, against PostgreSQL", () => {
  let prisma: PrismaClient;
  let url: string;
  let close: () => Promise<void>;
  let actor: TActor;
  let notebookId: string;
  let projectId: string;

  beforeAll(async () => {
    const db = await createTestDatabase();
    prisma = db.prisma;
    url = db.url;
    close = db.close;
    const userId = `cache-user-${Date.now()}`;
    await prisma.user.create({ data: { id: userId, email: `${userId}@example.test`, name: "Ada" } });
    actor = { userId, email: `${userId}@example.test`, name: "Ada", via: "session", scope: "admin" };
    const project = await prisma.project.create({ data: { name: "P", createdById: userId } });
    projectId = project.id;
    const notebook = await prisma.notebook.create({
      data: { projectId, name: "N", cells: [], metadata: {}, createdById: userId },
    });
    notebookId = notebook.id;
  }, 120_000);

  afterAll(async () => {
    await close?.();
  });

  const setRole = (role: "runner" | "viewer" | "editor") =>
    prisma.projectMember.upsert({
      where: { projectId_userId: { projectId, userId: actor.userId } },
      create: { projectId, userId: actor.userId, role },
      update: { role },
    });
  const canRun = (source: Parameters<typeof authorize>[0]) =>
    authorize(source, actor, { kind: "notebook", id: notebookId }, "notebook.run").then(
      () => true,
      () => false,
    );

  it("decides from the remembered role until Flint says access changed", async () => {
    // No listener: only accessChanged() and the TTL make it forget, so the test sees the memory.
    const cache = createAccessCache();
    cache.setEnabled(true);
    const source = new CachedAccess(prisma, cache);
    await setRole("runner");
    expect(await canRun(source)).toBe(true);
    await setRole("viewer");
    // Remembered: the command path did not read the database (the uncached check did).
    expect(await canRun(source)).toBe(true);
    expect(await canRun(prisma)).toBe(false);
    accessChanged();
    expect(await canRun(source)).toBe(false);
    cache.dispose();
  });

  it("forgets when PostgreSQL notifies a change made elsewhere (another server, the CLI)", async () => {
    const cache = createAccessCache();
    const stop = await listenForAccessChanges(url, cache);
    expect(cache.isEnabled).toBe(true);
    const source = new CachedAccess(prisma, cache);
    await setRole("editor");
    expect(await canRun(source)).toBe(true);
    // Written straight to the database, as another web server or `flint` would: no accessChanged().
    const notified = cache.nextInvalidation();
    await prisma.$executeRaw`UPDATE "project_member" SET "role" = 'viewer' WHERE "userId" = ${actor.userId}`;
    await notified;
    expect(await canRun(source)).toBe(false);
    // A session row ended elsewhere notifies too (sign-out on another server).
    const sessionEnded = cache.nextInvalidation();
    await prisma.session.deleteMany({ where: { userId: actor.userId } });
    await sessionEnded;
    await stop();
    expect(cache.isEnabled).toBe(false);
  });
});
