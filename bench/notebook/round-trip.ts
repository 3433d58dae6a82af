// The server's part of a run, without a browser (issue 23): from the command on a WebSocket to the
// first message that carries the result, same cell, warm kernels, the clients alternating round by
// round. The baseline is Jupyter Server as JupyterLab's page uses it: an `execute_request` on the
// kernel's channels WebSocket, answered by `execute_result` on the same socket. Flint is asked the
// ways its clients ask, to split its path:
//  - token: an API client's socket (bearer token; not in the co-editing room);
//  - page: a signed-in socket as the browser opens it (session cookie and Origin), joined to the
//    notebook's co-editing room as the page is (its runs read the live room).
// Every run of every client is reported (median / p90 / p95 and the ratio to Jupyter Server's).
import { randomUUID } from "node:crypto";
import { encodeFrame, MESSAGE_SYNC } from "@flint/collab/shared";
import WebSocket from "ws";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { answerSync } from "../flint-client";
import { quantile } from "../stats";
import { FLINT_DEMO, importIntoFlint, type TServer } from "./servers";

const CELL = "n = globals().get('n', 0) + 1; f\"RUN-{n}\"";
const CELL_ID = "round-trip";
const ROUNDS = Number(process.env.BENCH_NOTEBOOK_ROUND_TRIPS ?? 60);
const TIMEOUT_MS = 60_000;
// A pause before each round, as a person's runs come seconds apart (memories expire, sockets idle).
const PAUSE_MS = Number(process.env.BENCH_NOTEBOOK_ROUND_TRIP_PAUSE_MS ?? 0);

type TClient = { name: string; run: () => Promise<number>; close: () => void };

async function open(url: string, headers: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return ws;
}

/**
 * Sends `send()`'s message and resolves with the ms until `isResult` accepts a text message
 * (rejects when it answers an error instead).
 */
function timeRun(
  ws: WebSocket,
  send: () => void,
  isResult: (message: Record<string, unknown>) => boolean | Error,
) {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no result within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    let sentAt = 0;
    const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return;
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      const verdict = isResult(message);
      if (verdict instanceof Error) done(verdict);
      else if (verdict) done(null);
    };
    const done = (error: Error | null) => {
      const elapsed = performance.now() - sentAt;
      clearTimeout(timer);
      ws.off("message", onMessage);
      if (error) reject(error);
      else resolve(elapsed);
    };
    ws.on("message", onMessage);
    sentAt = performance.now();
    send();
  });
}

/** The last `RUN-<n>` any Flint client saw: both run the same cell in the same kernel. */
const flintCount = { n: 0 };

/** A Flint notebook socket; `joinRoom` makes it a co-editing client as the page is. */
async function flintClient(
  name: string,
  flint: TServer,
  notebookId: string,
  headers: Record<string, string>,
  joinRoom: boolean,
): Promise<TClient> {
  const ws = await open(`${flint.url.replace("http", "ws")}/ws/notebooks/${notebookId}`, headers);
  if (joinRoom) {
    const doc = new Y.Doc();
    let isSynced = false;
    answerSync(ws, doc, null, (kind) => {
      if (kind === syncProtocol.messageYjsSyncStep2) isSynced = true;
    });
    ws.send(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeSyncStep1(encoder, doc)));
    const deadline = Date.now() + 30_000;
    while (!isSynced) {
      if (Date.now() > deadline) throw new Error(`${name}: no co-editing sync within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return {
    name,
    run: () => {
      const requestId = randomUUID();
      return timeRun(
        ws,
        () => ws.send(JSON.stringify({ type: "run", requestId, cellIds: [CELL_ID] })),
        (message) => {
          if (message.type === "reply" && message.requestId === requestId && message.ok === false)
            return new Error(`${name}: refused ${JSON.stringify(message.error)}`);
          if (message.type !== "outputs" || message.cellId !== CELL_ID) return false;
          // Only this run's result: every client also receives the other's outputs, which
          // may still arrive after this run was sent.
          if (!JSON.stringify(message.changes).includes(`RUN-${flintCount.n + 1}'`)) return false;
          flintCount.n += 1;
          return true;
        },
      );
    },
    close: () => ws.close(),
  };
}

/** JupyterLab's path: a kernel of its Jupyter Server, `execute_request` on the channels socket. */
async function jupyterClient(lab: TServer & { token: string }): Promise<TClient> {
  const started = await fetch(`${lab.url}/api/kernels?token=${lab.token}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "python3" }),
  });
  if (!started.ok) throw new Error(`starting a Jupyter kernel answered ${started.status}`);
  const { id } = (await started.json()) as { id: string };
  const session = randomUUID();
  const ws = await open(
    `${lab.url.replace("http", "ws")}/api/kernels/${id}/channels?session_id=${session}&token=${lab.token}`,
    {},
  );
  return {
    name: "Jupyter Server",
    run: () => {
      const msgId = randomUUID();
      return timeRun(
        ws,
        () =>
          ws.send(
            JSON.stringify({
              header: {
                msg_id: msgId,
                msg_type: "execute_request",
                username: "bench",
                session,
                date: new Date().toISOString(),
                version: "5.3",
              },
              parent_header: {},
              metadata: {},
              content: {
                code: CELL,
                silent: false,
                store_history: true,
                user_expressions: {},
                allow_stdin: false,
                stop_on_error: true,
              },
              channel: "shell",
              buffers: [],
            }),
          ),
        (message) =>
          message.msg_type === "execute_result" &&
          (message.parent_header as { msg_id?: string })?.msg_id === msgId,
      );
    },
    close: () => ws.close(),
  };
}

/** Runs the round-trip part; `cookie` is the signed-in page's session cookie header. */
export async function runRoundTripBench(options: {
  flint: TServer;
  lab: TServer & { token: string };
  cookie: string;
}): Promise<void> {
  const { flint, lab, cookie } = options;
  const notebook = JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
    cells: [
      { id: CELL_ID, cell_type: "code", metadata: {}, source: CELL, outputs: [], execution_count: null },
    ],
  });
  const notebookPath = await importIntoFlint(flint.url, "round-trip.ipynb", notebook);
  const notebookId = notebookPath.split("/").pop()!;
  const clients = [
    await jupyterClient(lab),
    await flintClient(
      "Flint, token",
      flint,
      notebookId,
      { authorization: `Bearer ${FLINT_DEMO.token}` },
      false,
    ),
    await flintClient("Flint, page", flint, notebookId, { cookie, origin: flint.url }, true),
  ];
  const samples = new Map<string, number[]>(clients.map((client) => [client.name, []]));
  try {
    // Warm-up: Flint's first run starts its kernel; then both sides' paths are compiled.
    for (let i = 0; i < 5; i++) for (const client of clients) await client.run();
    for (let round = 0; round < ROUNDS; round++) {
      if (PAUSE_MS > 0) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      // The order rotates, so no client always follows the same one.
      for (let k = 0; k < clients.length; k++) {
        const client = clients[(round + k) % clients.length]!;
        samples.get(client.name)!.push(await client.run());
      }
    }
  } finally {
    for (const client of clients) client.close();
  }
  const base = quantile(samples.get("Jupyter Server")!, 0.5);
  process.stdout.write(
    `\nRound trip, command → first message with the result (${ROUNDS} rounds, clients alternating; median / p90 / p95):\n`,
  );
  for (const [name, values] of samples) {
    const [p50, p90, p95] = [0.5, 0.9, 0.95].map((q) => quantile(values, q));
    process.stdout.write(
      `  ${name.padEnd(16)} ${p50!.toFixed(1)} / ${p90!.toFixed(1)} / ${p95!.toFixed(1)} ms` +
        `${name === "Jupyter Server" ? "" : `  (${(p50! / base).toFixed(2)}× Jupyter Server's median)`}\n`,
    );
  }
}
