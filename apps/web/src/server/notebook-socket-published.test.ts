// SECURITY.md case 20 on the socket: a published notebook is read over REST by anyone, but its
// live socket (watch) and its runs belong to members. An outsider (signed in, not a member) and an
// anonymous visitor are refused at the upgrade and on `run`, with a trusted Origin, so nothing but
// the authorization check stands in the way; the kernel never sees a request.

import { createToken } from "@flint/api";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestFlint, type TTestFlint } from "./test-server.js";

let flint: TTestFlint;
let closeDb: () => Promise<void>;
let baseUrl: string;
const tokens: Record<string, string> = {};
let notebookId: string;

async function call(method: string, url: string, headers: Record<string, string>, json?: unknown) {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { ...headers, ...(json ? { "content-type": "application/json" } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: response.status, text: await response.text() };
}

/** Opens the notebook socket: the upgrade's status when refused, else the open socket. */
function connect(headers: Record<string, string>): Promise<{ status: number } | { ws: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${baseUrl.replace("http", "ws")}/ws/notebooks/${notebookId}`, { headers });
    ws.on("open", () => resolve({ ws }));
    ws.on("unexpected-response", (_request, response) => resolve({ status: response.statusCode ?? 0 }));
  });
}

beforeAll(async () => {
  const db = await createTestDatabase();
  closeDb = db.close;
  flint = await startTestFlint({ prisma: db.prisma, dataDirPrefix: "flint-socket-published-" });
  baseUrl = flint.baseUrl;
  for (const who of ["admin", "outsider"]) {
    const id = `user-${who}-${Date.now()}`;
    await db.prisma.user.create({ data: { id, email: `${who}-${Date.now()}@example.test`, name: who } });
    tokens[who] = (await createToken(db.prisma, id, "test")).secret;
  }
  const admin = { authorization: `Bearer ${tokens.admin}` };
  const project = await call("POST", "/api/v1/projects", admin, { name: "Published" });
  const projectId = (JSON.parse(project.text) as { id: string }).id;
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        id: "saved",
        cell_type: "code",
        source: "print('ran')",
        metadata: {},
        outputs: [],
        execution_count: null,
      },
    ],
  };
  const created = await call("POST", `/api/v1/projects/${projectId}/notebooks`, admin, {
    name: "N",
    notebook,
  });
  notebookId = (JSON.parse(created.text) as { id: string }).id;
  expect((await call("POST", `/api/v1/notebooks/${notebookId}/publish`, admin)).status).toBe(200);
}, 180_000);

afterAll(async () => {
  await flint?.stop();
  await closeDb?.();
});

describe("a published notebook (case 20)", () => {
  it("is readable by anyone, but outsiders and anonymous visitors can neither watch nor run it", async () => {
    const origin = { origin: baseUrl };
    const outsider = { authorization: `Bearer ${tokens.outsider}` };
    // Anyone reads the published snapshot.
    expect((await call("GET", `/api/v1/notebooks/${notebookId}/published`, {})).status).toBe(200);
    expect((await call("GET", `/api/v1/notebooks/${notebookId}/published`, outsider)).status).toBe(200);

    // The live socket: an anonymous visitor from Flint's own page, and a signed-in outsider.
    expect(await connect(origin)).toEqual({ status: 401 });
    const outsiderSocket = await connect({ ...origin, ...outsider });
    expect("status" in outsiderSocket && [403, 404].includes(outsiderSocket.status)).toBe(true);

    // Running over REST.
    const runs = [
      await call("POST", `/api/v1/notebooks/${notebookId}/run`, origin, { cellIds: ["saved"] }),
      await call("POST", `/api/v1/notebooks/${notebookId}/run`, outsider, { cellIds: ["saved"] }),
    ];
    expect(runs[0]?.status).toBe(401);
    expect([403, 404]).toContain(runs[1]?.status);

    // The admin's socket works, and nothing ran: no kernel was ever started for the notebook.
    const adminSocket = await connect({ authorization: `Bearer ${tokens.admin}` });
    expect("ws" in adminSocket).toBe(true);
    if ("ws" in adminSocket) adminSocket.ws.close();
    expect(flint.runtime.status().jupyter.kernels).toBe(0);
  });
});
