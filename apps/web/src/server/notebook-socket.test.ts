// The notebook WebSocket against a real Jupyter Server and kernel (SECURITY.md cases 15, 16, 18):
// a viewer's run never reaches the kernel, a runner's socket runs the saved source only, a
// foreign Origin is refused, and a removed member or a disabled user loses the socket within
// seconds (case 33), as does one who signed out, whose session expired or whose token was revoked:
// their next command is refused and the socket closes with 4401 and a reason.

import { revokeToken, setUserDisabled } from "@flint/api";
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestFlint, type TTestFlint } from "./test-server.js";

let flint: TTestFlint;
let closeDb: () => Promise<void>;
let prisma: PrismaClient;
let baseUrl: string;
let origin: string;
const tokens: Record<string, string> = {};
const tokenIds: Record<string, string> = {};
// Users signed in through better-auth, with their session cookie.
const sessions: Record<string, { id: string; cookie: string }> = {};
const userIds: Record<string, string> = {};
let projectId: string;
let notebookId: string;

type TEvent = { type: string; [key: string]: unknown };

async function call(method: string, url: string, token: string, json?: unknown) {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(json ? { "content-type": "application/json" } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function connect(
  headers: Record<string, string>,
): Promise<{ ws: WebSocket; events: TEvent[] } | { status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${baseUrl.replace("http", "ws")}/ws/notebooks/${notebookId}`, { headers });
    const events: TEvent[] = [];
    ws.on("message", (data) => events.push(JSON.parse(data.toString()) as TEvent));
    ws.on("open", () => resolve({ ws, events }));
    ws.on("unexpected-response", (_request, response) => resolve({ status: response.statusCode ?? 0 }));
  });
}

async function waitFor<T>(check: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  const db = await createTestDatabase();
  closeDb = db.close;
  prisma = db.prisma;
  flint = await startTestFlint({ prisma: db.prisma, dataDirPrefix: "flint-socket-test-" });
  baseUrl = flint.baseUrl;
  origin = baseUrl;
  const { createToken } = await import("@flint/api");
  for (const who of ["admin", "viewer", "runner", "editor", "outsider", "disabled", "revoked"]) {
    const id = `user-${who}-${Date.now()}`;
    await db.prisma.user.create({ data: { id, email: `${who}-${Date.now()}@example.test`, name: who } });
    userIds[who] = id;
    const created = await createToken(db.prisma, id, "test");
    tokens[who] = created.secret;
    tokenIds[who] = created.token.id;
  }
  for (const who of ["signsOut", "expires"]) {
    const email = `${who.toLowerCase()}-${Date.now()}@example.test`;
    const response = await fetch(`${baseUrl}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ name: who, email, password: "correct horse battery" }),
    });
    if (!response.ok) throw new Error(`sign-up failed: ${response.status}`);
    const cookie = response.headers
      .getSetCookie()
      .map((value) => value.split(";")[0])
      .join("; ");
    const user = await db.prisma.user.findUniqueOrThrow({ where: { email }, select: { id: true } });
    sessions[who] = { id: user.id, cookie };
  }
  projectId = (await call("POST", "/api/v1/projects", tokens.admin!, { name: "Sockets" })).body.id as string;
  for (const who of ["viewer", "runner", "editor", "disabled", "revoked"]) {
    await db.prisma.projectMember.create({
      data: {
        projectId,
        userId: userIds[who]!,
        role: who === "disabled" || who === "revoked" ? "runner" : (who as "viewer"),
      },
    });
  }
  for (const who of ["signsOut", "expires"])
    await db.prisma.projectMember.create({ data: { projectId, userId: sessions[who]!.id, role: "runner" } });
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        id: "saved",
        cell_type: "code",
        source: "print('saved source ran')",
        metadata: {},
        outputs: [],
        execution_count: null,
      },
    ],
  };
  notebookId = (
    await call("POST", `/api/v1/projects/${projectId}/notebooks`, tokens.admin!, { name: "N", notebook })
  ).body.id as string;
}, 180_000);

afterAll(async () => {
  await flint?.stop();
  await closeDb?.();
});

describe("the notebook WebSocket", () => {
  it("refuses a foreign Origin, Origin null, and no credentials", async () => {
    expect(await connect({ origin: "https://evil.test" })).toEqual({ status: 403 });
    expect(await connect({ origin: "null" })).toEqual({ status: 403 });
    expect(await connect({ origin })).toEqual({ status: 401 });
  });

  it("gives a viewer live events but no run; a runner's socket runs only the saved source", async () => {
    const viewer = await connect({ authorization: `Bearer ${tokens.viewer}` });
    if (!("ws" in viewer)) throw new Error(`viewer could not connect: ${viewer.status}`);
    viewer.ws.send(JSON.stringify({ type: "run", requestId: "v1", cellIds: ["saved"] }));
    const refused = await waitFor(() =>
      viewer.events.find((event) => event.type === "reply" && event.requestId === "v1"),
    );
    expect(refused).toMatchObject({ ok: false, error: { code: "forbidden" } });

    const runner = await connect({ authorization: `Bearer ${tokens.runner}` });
    if (!("ws" in runner)) throw new Error("runner could not connect");
    // A client-supplied `code` is not part of the protocol: the saved source runs instead.
    runner.ws.send(
      JSON.stringify({ type: "run", requestId: "r1", cellIds: ["saved"], code: "print('client code ran')" }),
    );
    const done = await waitFor(() =>
      runner.events.find(
        (event) => event.type === "cell" && event.cellId === "saved" && event.status === "ok",
      ),
    );
    expect(done).toBeDefined();
    const result = await call("GET", `/api/v1/notebooks/${notebookId}`, tokens.viewer!);
    const cell = (
      result.body.notebook as { cells: { outputs: { text?: string[] }[]; execution_count: number }[] }
    ).cells[0];
    expect(JSON.stringify(cell?.outputs)).toContain("saved source ran");
    expect(JSON.stringify(cell?.outputs)).not.toContain("client code ran");
    // The viewer's refused run never reached the kernel: this is the kernel's first execution.
    expect(cell?.execution_count).toBe(1);
    // Both sockets saw the same live events.
    expect(viewer.events.some((event) => event.type === "cell" && event.status === "ok")).toBe(true);
    viewer.ws.close();
    runner.ws.close();
  });

  it("answers every command exactly as the role table says (viewer: refused; runner, editor, admin: accepted)", async () => {
    const commands = [
      { type: "interrupt" },
      { type: "clearOutputs", cellIds: ["saved"] },
      { type: "complete", code: "pri", cursorPos: 3 },
      { type: "inspect", code: "print", cursorPos: 5, detailLevel: 0 },
      { type: "tablePage", tableId: "0".repeat(32), offset: 0, limit: 50 },
      { type: "chartPreview", command: "%chart data(df) bar x(a) y(count())" },
      { type: "run", cellIds: ["saved"] },
      { type: "restart" },
      { type: "switchKernel" },
      { type: "shutdown" },
    ];
    const failures: string[] = [];
    for (const who of ["viewer", "runner", "editor", "admin"]) {
      const socket = await connect({ authorization: `Bearer ${tokens[who]}` });
      if (!("ws" in socket)) throw new Error(`${who} could not connect`);
      for (const [index, command] of commands.entries()) {
        const requestId = `${who}-${index}`;
        socket.ws.send(JSON.stringify({ ...command, requestId }));
        const reply = await waitFor(() =>
          socket.events.find((event) => event.type === "reply" && event.requestId === requestId),
        );
        const isForbidden = reply.ok === false && (reply.error as { code: string }).code === "forbidden";
        if (isForbidden !== (who === "viewer"))
          failures.push(`${who} ${command.type}: ${JSON.stringify(reply).slice(0, 160)}`);
      }
      socket.ws.close();
    }
    expect(failures).toEqual([]);
    // Outsiders and anonymous visitors never get a socket at all.
    expect(await connect({ authorization: `Bearer ${tokens.outsider}` })).toEqual({ status: 404 });
    expect(await connect({ origin })).toEqual({ status: 401 });
  });

  it("pages, sorts and filters a live table in the kernel without a new execution count; a viewer may not; after a restart the table is gone", async () => {
    const cells = [
      "import pandas as pd\npeople = pd.DataFrame({'n': range(1000), 'city': [['Oslo', 'Lima'][i % 2] for i in range(1000)]})\npeople",
      "%%sql -o evens\nSELECT id, id % 10 AS digit FROM range(0, 2000, 2)",
    ].map((source, index) => ({
      id: `live-${index}`,
      cell_type: "code",
      source,
      metadata: {},
      outputs: [],
      execution_count: null,
    }));
    const created = await call("POST", `/api/v1/projects/${projectId}/notebooks`, tokens.admin!, {
      name: "Live tables",
      notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells },
    });
    const liveNotebookId = created.body.id as string;
    const open = (token: string) =>
      new Promise<{ ws: WebSocket; events: TEvent[] }>((resolve, rejectOpen) => {
        const ws = new WebSocket(`${baseUrl.replace("http", "ws")}/ws/notebooks/${liveNotebookId}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const events: TEvent[] = [];
        ws.on("message", (data) => events.push(JSON.parse(data.toString()) as TEvent));
        ws.on("open", () => resolve({ ws, events }));
        ws.on("unexpected-response", (_request, response) => rejectOpen(new Error(`${response.statusCode}`)));
      });
    const runner = await open(tokens.runner!);
    let next = 0;
    const ask = async (socket: { ws: WebSocket; events: TEvent[] }, command: Record<string, unknown>) => {
      const requestId = `live-${next++}`;
      socket.ws.send(JSON.stringify({ ...command, requestId }));
      return waitFor(
        () => socket.events.find((event) => event.type === "reply" && event.requestId === requestId),
        240_000,
      );
    };
    await ask(runner, { type: "run", cellIds: ["live-0", "live-1"] });
    await waitFor(
      () =>
        runner.events.find(
          (event) => event.type === "cell" && event.cellId === "live-1" && event.status === "ok",
        ),
      240_000,
    );
    const saved = await call("GET", `/api/v1/notebooks/${liveNotebookId}`, tokens.viewer!);
    type TSavedCell = { outputs: { data?: Record<string, unknown> }[]; execution_count: number };
    const savedCells = (saved.body.notebook as { cells: TSavedCell[] }).cells;
    const tableOf = (cell: TSavedCell | undefined) =>
      cell?.outputs.find((output) => output.data?.["application/vnd.flint.table+json"])?.data?.[
        "application/vnd.flint.table+json"
      ] as { tableId: string; rows: unknown[][]; totalRows: number | null; variable?: string };
    const people = tableOf(savedCells[0]);
    const evens = tableOf(savedCells[1]);
    expect(people.rows).toHaveLength(50);
    expect(people.totalRows).toBe(1000);
    expect(evens.variable).toBe("evens");

    const last = await ask(runner, { type: "tablePage", tableId: people.tableId, offset: 950, limit: 50 });
    expect(last).toMatchObject({ ok: true, result: { status: "ok", totalRows: 1000, hasMore: false } });
    const lastRows = (last.result as { rows: unknown[][] }).rows;
    expect(lastRows[0]).toEqual([950, "Oslo"]);
    expect(lastRows.at(-1)).toEqual([999, "Lima"]);
    const filtered = await ask(runner, {
      type: "tablePage",
      tableId: people.tableId,
      offset: 0,
      limit: 3,
      sort: { column: 0, descending: true },
      filters: [{ column: 1, text: "osl" }],
    });
    expect(filtered.result).toMatchObject({
      status: "ok",
      totalRows: 500,
      rows: [
        [998, "Oslo"],
        [996, "Oslo"],
        [994, "Oslo"],
      ],
    });
    const spark = await ask(runner, {
      type: "tablePage",
      tableId: evens.tableId,
      offset: 0,
      limit: 2,
      sort: { column: 0, descending: true },
      countRows: true,
    });
    expect(spark.result).toMatchObject({
      status: "ok",
      totalRows: 1000,
      rows: [
        [1998, 8],
        [1996, 6],
      ],
    });
    const preview = await ask(runner, {
      type: "chartPreview",
      command: "%chart data(evens) bar x(id) y(count())",
    });
    const spec = (preview.result as { status: string; spec: { encoding: { x: { bin?: unknown } } } }).spec;
    expect(spec.encoding.x.bin).toBeDefined(); // 1,000 distinct numbers: binned bars, not hairlines

    // A viewer sees the saved first page only: paging makes the kernel work.
    const viewer = await open(tokens.viewer!);
    const refused = await ask(viewer, { type: "tablePage", tableId: people.tableId, offset: 50, limit: 50 });
    expect(refused).toMatchObject({ ok: false, error: { code: "forbidden" } });
    viewer.ws.close();

    // None of this ran as a cell: the next run gets count 3.
    const runsOk = () =>
      runner.events.filter(
        (event) => event.type === "cell" && event.cellId === "live-0" && event.status === "ok",
      ).length;
    const before = runsOk();
    await ask(runner, { type: "run", cellIds: ["live-0"] });
    await waitFor(() => (runsOk() > before ? true : undefined), 240_000);
    const counts = runner.events
      .filter(
        (event) =>
          event.type === "cell" && event.cellId === "live-0" && typeof event.executionCount === "number",
      )
      .map((event) => event.executionCount);
    expect(counts.at(-1)).toBe(3);

    await ask(runner, { type: "restart" });
    const gone = await ask(runner, { type: "tablePage", tableId: people.tableId, offset: 50, limit: 50 });
    expect(gone.result).toEqual({
      status: "gone",
      message: "This table is no longer in the kernel; run the cell again.",
    });
    await ask(runner, { type: "shutdown" });
    const noKernel = await ask(runner, { type: "tablePage", tableId: people.tableId, offset: 50, limit: 50 });
    expect(noKernel.result).toEqual({
      status: "gone",
      message: "This table is no longer in the kernel; run the cell again.",
    });
    runner.ws.close();
  }, 600_000);

  it("applies a downgrade to the next command and closes the socket of a removed member within seconds", async () => {
    const runner = await connect({ authorization: `Bearer ${tokens.runner}` });
    if (!("ws" in runner)) throw new Error("runner could not connect");
    await call("PATCH", `/api/v1/projects/${projectId}/members/${userIds.runner}`, tokens.admin!, {
      role: "viewer",
    });
    runner.ws.send(JSON.stringify({ type: "run", requestId: "after-downgrade", cellIds: ["saved"] }));
    const refused = await waitFor(() =>
      runner.events.find((event) => event.type === "reply" && event.requestId === "after-downgrade"),
    );
    expect(refused).toMatchObject({ ok: false });
    const closed = new Promise<number>((resolve) => runner.ws.on("close", (code) => resolve(code)));
    await call("DELETE", `/api/v1/projects/${projectId}/members/${userIds.runner}`, tokens.admin!);
    expect(await closed).toBe(4403);
  });

  it("closes the socket of a user who is disabled, and takes no command from them", async () => {
    // One socket only watches (closed by the periodic check), the other sends a run at once.
    const idle = await connect({ authorization: `Bearer ${tokens.disabled}` });
    const socket = await connect({ authorization: `Bearer ${tokens.disabled}` });
    if (!("ws" in idle) || !("ws" in socket)) throw new Error("the user could not connect");
    const closedCode = (ws: WebSocket) =>
      new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    const idleClosed = closedCode(idle.ws);
    const closed = closedCode(socket.ws);
    // The same code path as the Administration page and `flint user disable`.
    await setUserDisabled(prisma, userIds.disabled!, true);
    socket.ws.send(JSON.stringify({ type: "run", requestId: "after-disable", cellIds: ["saved"] }));
    expect(await closed).toBe(4401);
    expect(await idleClosed).toBe(4401);
    expect(socket.events.find((event) => event.type === "reply" && event.requestId === "after-disable")).toBe(
      undefined,
    );
    expect(await connect({ authorization: `Bearer ${tokens.disabled}` })).toEqual({ status: 401 });
  });

  // A socket whose credentials are gone: the next command is refused before it reaches the
  // kernel, and the socket closes with 4401 and a reason the page turns into "sign in again".
  async function expectClosedOnNextCommand(
    socket: { ws: WebSocket; events: TEvent[] },
    requestId: string,
  ): Promise<void> {
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    socket.ws.send(JSON.stringify({ type: "run", requestId, cellIds: ["saved"] }));
    const { code, reason } = await closed;
    expect(code).toBe(4401);
    expect(reason).toMatch(/sign in again/);
    expect(socket.events.find((event) => event.type === "reply" && event.requestId === requestId)).toBe(
      undefined,
    );
  }

  it("closes the socket of a user who signed out, at their next command", async () => {
    const { cookie } = sessions.signsOut!;
    const socket = await connect({ cookie, origin });
    if (!("ws" in socket)) throw new Error(`the user could not connect: ${socket.status}`);
    const signOut = await fetch(`${baseUrl}/api/auth/sign-out`, {
      method: "POST",
      headers: { cookie, origin, "content-type": "application/json" },
      body: "{}",
    });
    expect(signOut.status).toBe(200);
    await expectClosedOnNextCommand(socket, "after-sign-out");
    expect(await connect({ cookie, origin })).toEqual({ status: 401 });
  });

  it("closes the socket of a user whose session expired, at their next command", async () => {
    const { id, cookie } = sessions.expires!;
    const socket = await connect({ cookie, origin });
    if (!("ws" in socket)) throw new Error(`the user could not connect: ${socket.status}`);
    await prisma.session.updateMany({
      where: { userId: id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await expectClosedOnNextCommand(socket, "after-expiry");
  });

  it("closes the socket of a personal access token that was revoked, at its next command", async () => {
    const socket = await connect({ authorization: `Bearer ${tokens.revoked}` });
    if (!("ws" in socket)) throw new Error(`the token could not connect: ${socket.status}`);
    expect(await revokeToken(prisma, userIds.revoked!, tokenIds.revoked!)).toBe(true);
    await expectClosedOnNextCommand(socket, "after-revoke");
    expect(await connect({ authorization: `Bearer ${tokens.revoked}` })).toEqual({ status: 401 });
  });
});
