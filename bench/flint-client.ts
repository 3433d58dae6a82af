// What the load and scale benches do to a running Flint, the way browsers and API clients do it:
// sign up on the sign-up endpoint, take a token, create notebooks over REST, open a notebook's
// WebSocket and run cells on it. No in-memory stand-ins: every call crosses the server's socket.
import { readdirSync, readFileSync } from "node:fs";
import { MESSAGE_SYNC } from "@flint/collab/shared";
import type { TFlintServer } from "@flint/testing";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import * as syncProtocol from "y-protocols/sync";
import type * as Y from "yjs";

/** A person with a token and one open notebook (its socket once connected). */
export type TBenchPerson = {
  email: string;
  token: string;
  notebookId: string;
  socket: WebSocket | null;
  /** The last execution count a finished run reported (0: none yet). */
  lastSeen: number;
};

export type TAnswer = { status: number; body: Record<string, unknown>; headers: Headers };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One REST call, with a token or (as the browser) a cookie and the page's Origin. */
export async function call(
  server: TFlintServer,
  method: string,
  url: string,
  options: { token?: string; cookie?: string; json?: unknown } = {},
): Promise<TAnswer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) {
    headers.cookie = options.cookie;
    headers.origin = server.url;
  }
  if (options.json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers,
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

export function expectStatus(answer: { status: number; body: unknown }, status: number, what: string): void {
  if (answer.status !== status)
    throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
}

/** Signs a person up on the sign-up endpoint, as the page does, and gives them a write token. */
export async function signUp(
  server: TFlintServer,
  label: string,
  index: number,
): Promise<{ email: string; token: string }> {
  const email = `${label}-${index}-${Date.now()}@bench.test`;
  const signed = await fetch(`${server.url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.url },
    body: JSON.stringify({
      name: `${label} ${index}`,
      email,
      password: `${label} bench person ${index} tulip`,
    }),
  });
  if (!signed.ok) throw new Error(`sign-up ${index}: ${signed.status} ${await signed.text()}`);
  const cookie = signed.headers
    .getSetCookie()
    .map((value) => value.split(";")[0])
    .join("; ");
  const token = await call(server, "POST", "/api/v1/tokens", {
    cookie,
    json: { name: label, scope: "write", expiresInDays: 1 },
  });
  expectStatus(token, 201, `token ${index}`);
  return { email, token: token.body.secret as string };
}

/** Creates a notebook of code cells, each given as `[id, source]`; answers its id. */
export async function createNotebook(
  server: TFlintServer,
  token: string,
  projectId: string,
  name: string,
  cells: [id: string, source: string][],
): Promise<string> {
  const created = await call(server, "POST", `/api/v1/projects/${projectId}/notebooks`, {
    token,
    json: {
      name,
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: cells.map(([id, source]) => ({
          id,
          cell_type: "code",
          metadata: {},
          source,
          outputs: [],
          execution_count: null,
        })),
      },
    },
  });
  expectStatus(created, 201, `notebook ${name}`);
  return created.body.id as string;
}

/** Opens a person's notebook socket (a token client: no Origin needed). */
export async function connect(server: TFlintServer, person: TBenchPerson): Promise<WebSocket> {
  const socket = new WebSocket(`${server.url.replace("http", "ws")}/ws/notebooks/${person.notebookId}`, {
    headers: { authorization: `Bearer ${person.token}` },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  person.socket = socket;
  return socket;
}

/**
 * Runs one cell on the person's socket; resolves with the latency from sending `run` to the
 * `cell` event that says it finished (sent only once its outputs are stored), rejects with what
 * went wrong (refused, ended not ok, no answer in time).
 */
export function runCell(person: TBenchPerson, cellId: string, timeoutMs = 120_000): Promise<number> {
  const socket = person.socket!;
  const requestId = `r${Math.random().toString(36).slice(2)}`;
  const sent = performance.now();
  return new Promise((resolve, reject) => {
    let hasStarted = false;
    const timer = setTimeout(() => finish(new Error(`no result within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      const event = JSON.parse(String(data)) as Record<string, unknown>;
      if (event.type === "reply" && event.requestId === requestId && event.ok === false) {
        finish(new Error(`refused: ${JSON.stringify(event.error)}`));
      } else if (event.type === "cell" && event.cellId === cellId) {
        if (event.status === "running") hasStarted = true;
        else if (hasStarted && event.status === "ok") {
          if (typeof event.executionCount === "number") person.lastSeen = event.executionCount;
          finish(null);
        } else if (
          event.status !== "queued" &&
          event.status !== "running" &&
          (hasStarted || event.status !== "ok")
        )
          // Ended without running (cancelled, a start error) or not ok: a failed run, not a hang.
          finish(new Error(`the cell ended ${String(event.status)}`));
      }
    };
    const finish = (error: Error | null) => {
      clearTimeout(timer);
      socket.off("message", onMessage);
      if (error) reject(error);
      else resolve(performance.now() - sent);
    };
    socket.on("message", onMessage);
    socket.send(JSON.stringify({ type: "run", requestId, cellIds: [cellId] }));
  });
}

/**
 * Answers the co-editing sync protocol on a notebook socket for `doc`, as the page does
 * (collab.ts): every binary sync message is applied with `origin` and answered when it asks for
 * something; `onKind` hears the kind of each one read (`syncProtocol.messageYjsSyncStep2` once
 * the client has the server's document).
 */
export function answerSync(
  ws: WebSocket,
  doc: Y.Doc,
  origin: unknown,
  onKind?: (kind: number) => void,
): void {
  ws.on("message", (data, isBinary) => {
    if (!isBinary) return;
    const decoder = decoding.createDecoder(new Uint8Array(data as Buffer));
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    const kind = syncProtocol.readSyncMessage(decoder, encoder, doc, origin);
    if (encoding.length(encoder) > 1) ws.send(encoding.toUint8Array(encoder));
    onKind?.(kind);
  });
}

/** The process tree: children of each pid, and each process's name and resident memory. */
export type TProcessTable = {
  children: Map<number, number[]>;
  rss: Map<number, number>;
  name: Map<number, string>;
  /** CPU time used so far (user + system), in clock ticks (`getconf CLK_TCK`, 100 on Linux). */
  cpu: Map<number, number>;
};

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Reads every process's parent, name and resident memory from /proc. */
export function readProcesses(): TProcessTable {
  const table: TProcessTable = { children: new Map(), rss: new Map(), name: new Map(), cpu: new Map() };
  for (const entry of readdirSafe("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const parent = Number(fields[1]);
      // Fields after the name: state, ppid, ..., utime (index 11), stime (12).
      table.cpu.set(pid, Number(fields[11]) + Number(fields[12]));
      const list = table.children.get(parent) ?? [];
      list.push(pid);
      table.children.set(parent, list);
      table.name.set(pid, stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")));
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
      table.rss.set(pid, match ? Number(match[1]) * 1024 : 0);
    } catch {
      // The process ended meanwhile.
    }
  }
  return table;
}

/** Every process below `pid` (not `pid` itself). */
export function descendants(table: TProcessTable, pid: number): number[] {
  const found: number[] = [];
  const pending = [...(table.children.get(pid) ?? [])];
  while (pending.length > 0) {
    const child = pending.pop()!;
    found.push(child);
    pending.push(...(table.children.get(child) ?? []));
  }
  return found;
}

/** Resident memory of every process below `pid` (Jupyter, kernels, their JVMs if any). */
export function descendantsRss(pid: number): number {
  const table = readProcesses();
  return descendants(table, pid).reduce((sum, child) => sum + (table.rss.get(child) ?? 0), 0);
}
