// SECURITY.md case 32 (issue 15 item 4): a catalog connection is no port scanner. Loopback,
// private, link-local and metadata hosts are refused before anything is sent; where a host is
// allowed (FLINT_CONNECTION_ALLOW), every failure reads the same and the server's own words go
// only to the log.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

/** A TCP service that is not PostgreSQL: it greets with a banner, as SSH or Redis would. */
let banner: Server;
let bannerPort = 0;
let bannerConnections = 0;
const bannerSockets = new Set<Socket>();
const BANNER = "SSH-2.0-OpenSSH_9.6 internal-build-host";

let closedPort = 0;
const database = new URL(inject("flintTestDatabaseUrl"));

async function listen(server: Server): Promise<number> {
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  banner = createServer((socket) => {
    bannerConnections += 1;
    bannerSockets.add(socket);
    socket.end(`${BANNER}\r\n`);
  });
  bannerPort = await listen(banner);
  const closed = createServer();
  closedPort = await listen(closed);
  await new Promise<void>((done) => closed.close(() => done()));
});

afterAll(async () => {
  for (const socket of bannerSockets) socket.destroy();
  await new Promise<void>((done) => banner.close(() => done()));
});

async function setUp(
  env: Record<string, string>,
): Promise<{ t: TTestApi; user: TTestUser; projectId: string }> {
  const t = await createTestApi({ env });
  const user = await t.signUp("Mallory");
  const project = await t.call("POST", "/api/v1/projects", {
    as: user,
    via: "token",
    json: { name: "Scan" },
  });
  return { t, user, projectId: project.body.id as string };
}

function connect(
  ctx: { t: TTestApi; user: TTestUser; projectId: string },
  target: { host: string; port: number; username?: string; password?: string; database?: string },
) {
  return ctx.t.call("POST", "/api/v1/catalog/connections", {
    as: ctx.user,
    via: "token",
    json: {
      projectId: ctx.projectId,
      name: `c-${Math.random().toString(36).slice(2, 8)}`,
      host: target.host,
      port: target.port,
      database: target.database ?? "postgres",
      username: target.username ?? "postgres",
      password: target.password ?? "guess",
    },
  });
}

describe("by default", () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    ctx = await setUp({});
  });
  afterAll(async () => {
    await ctx.t.close();
  });

  it("refuses loopback, private, link-local and metadata hosts without connecting", async () => {
    const password = decodeURIComponent(database.password);
    const targets = [
      { host: "127.0.0.1", port: bannerPort },
      { host: "localhost", port: bannerPort },
      { host: "::1", port: bannerPort },
      { host: "::ffff:127.0.0.1", port: bannerPort },
      // The embedded database itself, with its real password: still refused.
      { host: database.hostname, port: Number(database.port), password },
      { host: "169.254.169.254", port: 80 },
      { host: "10.0.0.1", port: 5432 },
      { host: "192.168.1.1", port: 5432 },
    ];
    for (const target of targets) {
      const answer = await connect(ctx, target);
      expect(answer.status, `${target.host}: ${answer.text}`).toBe(400);
      expect(answer.body.error).toMatchObject({
        message: `Could not connect to PostgreSQL at ${target.host}:${target.port}/postgres: the host does not resolve to an address Flint may connect to (loopback, private, link-local and metadata addresses are refused unless a Flint administrator allows them with FLINT_CONNECTION_ALLOW).`,
      });
    }
    expect(bannerConnections).toBe(0);
    expect(await ctx.t.prisma.catalogConnection.count()).toBe(0);
  });
});

describe("with FLINT_CONNECTION_ALLOW", () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    ctx = await setUp({ FLINT_CONNECTION_ALLOW: `localhost, ${database.hostname}` });
  });
  afterAll(async () => {
    await ctx.t.close();
  });

  it("connects to an allowed host, and every failure reads the same, details in the log only", async () => {
    const logged: string[] = [];
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      logged.push(String(chunk));
      return true;
    });
    const attempts = {
      banner: await connect(ctx, { host: database.hostname, port: bannerPort }),
      closed: await connect(ctx, { host: database.hostname, port: closedPort }),
      password: await connect(ctx, { host: database.hostname, port: Number(database.port) }),
      database: await connect(ctx, {
        host: database.hostname,
        port: Number(database.port),
        password: decodeURIComponent(database.password),
        database: "no_such_database",
      }),
    };
    stderr.mockRestore();
    expect(bannerConnections).toBeGreaterThan(0);
    const messages = Object.entries(attempts).map(([what, answer]) => {
      expect(answer.status, what).toBe(400);
      return String((answer.body.error as { message: string }).message)
        .replace(/:\d+\//, ":PORT/")
        .replace("no_such_database", "postgres");
    });
    expect(new Set(messages)).toEqual(
      new Set([
        `Could not connect to PostgreSQL at ${database.hostname}:PORT/postgres as postgres. Check the host, port, database, user name and password, and that the server accepts connections from Flint.`,
      ]),
    );
    const answers = Object.values(attempts)
      .map((answer) => answer.text)
      .join("\n");
    for (const detail of [
      "SSH",
      "internal-build-host",
      "ECONNREFUSED",
      "password authentication",
      "does not exist",
    ]) {
      expect(answers).not.toContain(detail);
    }
    // The administrator can still find out what happened.
    const log = logged.join("");
    expect(log).toContain("ECONNREFUSED");
    expect(log).toMatch(/password authentication failed|no_such_database/);

    const good = await connect(ctx, {
      host: "localhost",
      port: Number(database.port),
      password: decodeURIComponent(database.password),
    });
    expect(good.status, good.text).toBe(201);
    // Allowed by name: the address it stands for is not allowed on its own.
    const byAddress = await connect(ctx, { host: "::1", port: Number(database.port) });
    expect(byAddress.status).toBe(400);
    expect(byAddress.text).toContain("does not resolve to an address Flint may connect to");
  });
});
