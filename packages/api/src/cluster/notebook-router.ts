/**
 * Routes a notebook's live session to the one web server that owns it (docs/deployment.md,
 * "Several web servers"). The owner holds a lease in `notebook_lease`, renewed by its heartbeat;
 * whichever server is asked first takes a free or expired lease. Every other server forwards:
 * commands and runs as HTTP requests to the owner's internal address, live events over one
 * internal WebSocket per subscriber, both carrying the shared secret (FLINT_CLUSTER_SECRET). So a
 * notebook has one kernel and every browser sees the same live output, whichever server it
 * reached.
 *
 * The caller has already authorized the user on its own server (the notebook socket and the run
 * route do, with the same `authorize` as everywhere); the owner trusts a forwarded user because
 * only a Flint server knows the secret.
 *
 * When the owner stops, dies or hangs, its subscribers notice (the upstream socket closes, the
 * owner answers no ping, or its lease expired or moved: {@link watchUpstream}) and resolve the
 * owner again, waiting until the dead owner's lease expires; then one server takes the notebook,
 * ends the runs the dead owner left running (its kernel is gone) and serves it; saved outputs stay.
 */
import { timingSafeEqual } from "node:crypto";
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { CollabHub } from "@flint/collab";
import type { PrismaClient } from "@flint/db";
import {
  type ExecutionBroker,
  KernelRuntimeError,
  type TBrokerCommand,
  type TBrokerListener,
  type TCellRunResult,
  type TReplyEvent,
  type TRunContext,
  ZBrokerCommand,
} from "@flint/kernel";
import { WebSocket, WebSocketServer } from "ws";
import { z } from "zod";
import { AppError, type TErrorCode } from "../errors.js";
import { endInterruptedRuns } from "../services/cell-run-store.js";
import { createCollabRelay, INTERNAL_COLLAB } from "./collab-relay.js";
import { DB_NOW, type TServerIdentity } from "./server-registry.js";

/** What the notebook socket and the run routes need of a broker; a router is one. */
export type TNotebookBroker = Pick<
  ExecutionBroker,
  "subscribe" | "handleCommand" | "runAndWait" | "kernelIdOf"
>;

/** The header that carries the shared secret between servers. */
export const CLUSTER_SECRET_HEADER = "x-flint-cluster-secret";
/** Internal paths; served only to callers that present the secret. */
const INTERNAL_COMMAND = /^\/_flint\/internal\/notebooks\/([A-Za-z0-9_-]{1,64})\/command$/;
const INTERNAL_EVENTS = /^\/_flint\/internal\/notebooks\/([A-Za-z0-9_-]{1,64})\/events$/;
/** An internal events socket the owner closes because it no longer owns the notebook. */
const CLOSED_NOT_OWNER = 4409;
const MAX_INTERNAL_BODY_BYTES = 2_000_000;

const ZRunContext = z.object({ userId: z.string().min(1).max(200), userName: z.string().max(500) });
const ZInternalRequest = z.discriminatedUnion("op", [
  z.object({ op: z.literal("command"), command: ZBrokerCommand, context: ZRunContext.optional() }),
  z.object({
    op: z.literal("runAndWait"),
    cellIds: z.array(z.string().min(1).max(200)).max(10_000),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(24 * 3_600_000),
    context: ZRunContext.optional(),
  }),
]);
type TInternalRequest = z.infer<typeof ZInternalRequest>;

/** An error as it crosses from the owner to the forwarding server. */
type TWireError = { kind: "app" | "kernel"; code: string; message: string };

type TOwner = { isLocal: true } | { isLocal: false; serverId: string; internalUrl: string };

/** Options of {@link createNotebookRouter}. */
export interface TNotebookRouterOptions {
  prisma: PrismaClient;
  /** This server's own broker: it runs the notebooks this server owns. */
  broker: ExecutionBroker;
  identity: TServerIdentity;
  /** FLINT_CLUSTER_SECRET; null: this server neither forwards nor accepts forwarded requests. */
  secret: string | null;
  log: (message: string) => void;
  /** This server's co-editing rooms; with it the router also relays co-editing to owners. */
  collab?: CollabHub | null;
}

/** A {@link TNotebookBroker} over all servers, plus the owner's side of forwarding. */
export interface TNotebookRouter extends TNotebookBroker {
  /** Serves a forwarded command or run; false for other paths. */
  handleInternalRequest: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** Serves a forwarded events socket; false for other paths. */
  handleInternalUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => Promise<boolean>;
  /**
   * Co-editing over all servers: `join` enters the notebook's room on its owner, here or relayed
   * (cluster/collab-relay.ts). The notebook socket uses it in place of the hub.
   */
  collab: Pick<CollabHub, "join">;
  /** Closes the forwarded sockets (both directions). */
  close: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isSecretValid(expected: string | null, given: string | string[] | undefined): boolean {
  if (!expected || typeof given !== "string") return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function toWireError(error: unknown): TWireError | null {
  if (error instanceof AppError) return { kind: "app", code: error.code, message: error.message };
  if (error instanceof KernelRuntimeError)
    return { kind: "kernel", code: error.code, message: error.message };
  return null;
}

function fromWireError(error: TWireError): Error {
  if (error.kind === "kernel")
    return new KernelRuntimeError(error.code as KernelRuntimeError["code"], error.message);
  return new AppError(error.code as TErrorCode, error.message);
}

/**
 * Pings `ws` every `everyMs`; calls `onSilent` with the count once three pings in a row went
 * unanswered (about a lease time: a peer that stalls that long has lost its leases anyway). Counting
 * beats rather than time keeps a stall of this process from judging the peer by a late timer.
 * Returns a function that stops.
 */
function pingUntilSilent(ws: WebSocket, everyMs: number, onSilent: (beats: number) => void): () => void {
  let isAwaitingPong = false;
  let missed = 0;
  const onPong = () => {
    isAwaitingPong = false;
    missed = 0;
  };
  ws.on("pong", onPong);
  const timer = setInterval(() => {
    if (ws.readyState !== ws.OPEN) return;
    if (isAwaitingPong) missed += 1;
    if (missed >= 3) {
      clearInterval(timer);
      onSilent(missed);
      return;
    }
    isAwaitingPong = true;
    ws.ping();
  }, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    ws.off("pong", onPong);
  };
}

/** Creates the router; see the module comment. */
export function createNotebookRouter(options: TNotebookRouterOptions): TNotebookRouter {
  const { prisma, broker, identity, secret } = options;
  const log = (message: string) => options.log(message.slice(0, 500));
  const leaseSeconds = identity.leaseMs / 1000;
  /** How often leases are checked and internal sockets pinged: three times per lease. */
  const beatMs = Math.max(500, Math.floor(identity.leaseMs / 3));
  /** Notebooks this server holds the lease of (the heartbeat renews them; lost ones are dropped). */
  const owned = new Set<string>();
  /** The last known remote owner of notebooks (for `kernelIdOf`). */
  const remoteOwners = new Map<string, string>();
  const internalSockets = new Map<WebSocket, string>();
  const upstreams = new Set<WebSocket>();
  let isClosed = false;

  identity.onLeasesLost((notebookIds) => {
    for (const notebookId of notebookIds) {
      owned.delete(notebookId);
      log(`lost the lease of notebook ${notebookId} to another server: its session here is shut down`);
      // Another server runs it now: a second kernel here would diverge from it.
      void broker.handleCommand(notebookId, { type: "shutdown" }).catch(() => undefined);
      for (const [ws, id] of internalSockets) if (id === notebookId) ws.close(CLOSED_NOT_OWNER, "not owner");
      // Its room here is a stale copy now: the new owner loads the saved document, and every page
      // (here or relayed) reconnects and brings what the database lacks.
      void options.collab
        ?.evict(notebookId, "this notebook moved to another server; reconnecting")
        .catch(() => undefined);
    }
  });

  /** Takes the notebook's lease when it is free, expired or ours; else says who holds it. */
  const resolveOwner = async (notebookId: string): Promise<TOwner> => {
    if (owned.has(notebookId)) return { isLocal: true };
    const [row] = await prisma.$queryRawUnsafe<{ owner: string | null; previous: string | null }[]>(
      `WITH previous AS (SELECT "serverId" FROM notebook_lease WHERE "notebookId" = $1),
       taken AS (
         INSERT INTO notebook_lease ("notebookId", "serverId", "expiresAt")
         SELECT $1, $2, ${DB_NOW} + make_interval(secs => $3) WHERE EXISTS (SELECT 1 FROM notebook WHERE id = $1)
         ON CONFLICT ("notebookId") DO UPDATE SET "serverId" = EXCLUDED."serverId", "expiresAt" = EXCLUDED."expiresAt"
         WHERE notebook_lease."serverId" = EXCLUDED."serverId" OR notebook_lease."expiresAt" < ${DB_NOW}
         RETURNING "serverId")
       SELECT (SELECT "serverId" FROM taken) AS owner, (SELECT "serverId" FROM previous) AS previous`,
      notebookId,
      identity.id,
      leaseSeconds,
    );
    if (row?.owner === identity.id) {
      owned.add(notebookId);
      identity.trackLease(notebookId);
      remoteOwners.delete(notebookId);
      if (row.previous && row.previous !== identity.id) {
        // Taken over from a server that stopped renewing: its kernel is gone with it.
        const ended = await endInterruptedRuns(prisma, {
          serverIds: [row.previous],
          includeUnowned: false,
          notebookId,
        });
        log(
          `took over notebook ${notebookId} from server ${row.previous}${ended.died > 0 ? ` (${ended.died} cell(s) it was running marked died)` : ""}`,
        );
      }
      return { isLocal: true };
    }
    const holder = await prisma.notebookLease.findUnique({
      where: { notebookId },
      select: { serverId: true, server: { select: { internalUrl: true, name: true } } },
    });
    // No lease and none taken: the notebook does not exist (deleted meanwhile); the local broker
    // answers as it would on one server.
    if (!holder) return { isLocal: true };
    if (holder.serverId === identity.id) return { isLocal: true };
    if (!secret)
      throw new AppError(
        "unavailable",
        `This notebook's session runs on another Flint server (${holder.server.name}); set the same FLINT_CLUSTER_SECRET on every server so they forward to each other.`,
      );
    remoteOwners.set(notebookId, holder.serverId);
    return { isLocal: false, serverId: holder.serverId, internalUrl: holder.server.internalUrl };
  };

  /**
   * Calls `onGone` once the notebook's lease no longer names `ownerId`: moved to another server,
   * freed, or expired (the owner stopped renewing it). Checked every third of a lease; returns a
   * function that stops watching.
   */
  const watchLease = (notebookId: string, ownerId: string, onGone: (why: string) => void): (() => void) => {
    let isChecking = false;
    let isStopped = false;
    const stop = () => {
      isStopped = true;
      clearInterval(timer);
    };
    const timer = setInterval(() => {
      if (isChecking) return;
      isChecking = true;
      prisma
        .$queryRawUnsafe<{ serverId: string; isExpired: boolean }[]>(
          `SELECT "serverId", "expiresAt" < ${DB_NOW} AS "isExpired" FROM notebook_lease WHERE "notebookId" = $1`,
          notebookId,
        )
        .then(([lease]) => {
          if (isStopped) return;
          const why = !lease
            ? `its server ${ownerId} no longer holds its lease`
            : lease.serverId !== ownerId
              ? `its lease moved from server ${ownerId} to ${lease.serverId}`
              : lease.isExpired
                ? `the lease of its server ${ownerId} expired (no heartbeat)`
                : null;
          if (!why) return;
          stop();
          onGone(why);
        })
        .catch((error) => log(`notebook ${notebookId}: reading its lease failed: ${String(error)}`))
        .finally(() => {
          isChecking = false;
        });
    }, beatMs);
    timer.unref();
    return stop;
  };

  /**
   * POSTs a forwarded request to the owner's internal address. No timeout of its own: a forwarded
   * run may last as long as the cell (node's fetch gives up on headers after 5 minutes); the
   * caller aborts when the owner's lease says it is gone.
   */
  const postToOwner = (
    internalUrl: string,
    notebookId: string,
    request: TInternalRequest,
    signal: AbortSignal,
  ): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(request);
      const outgoing = httpRequest(
        `${internalUrl}/_flint/internal/notebooks/${notebookId}/command`,
        {
          method: "POST",
          signal,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            [CLUSTER_SECRET_HEADER]: secret ?? "",
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
          );
          response.on("error", reject);
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });

  /**
   * Sends a request to the owner. A refused connection means the owner is gone and never got the
   * request: it is sent again to whoever owns the notebook once the lease moved (up to two lease
   * times). An owner that stops answering (killed mid-request, or hung: its connection stays open)
   * is given up on when its lease expires; the request may have acted, so that is reported.
   */
  const forward = async (notebookId: string, request: TInternalRequest): Promise<unknown> => {
    const deadline = Date.now() + 2 * identity.leaseMs;
    for (;;) {
      const owner = await resolveOwner(notebookId);
      if (owner.isLocal) return runLocally(notebookId, request);
      const aborter = new AbortController();
      let goneWhy: string | null = null;
      const stopWatching = watchLease(notebookId, owner.serverId, (why) => {
        goneWhy = why;
        aborter.abort();
      });
      let response: { status: number; text: string };
      try {
        response = await postToOwner(owner.internalUrl, notebookId, request, aborter.signal);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "ECONNREFUSED" && Date.now() < deadline) {
          await sleep(Math.min(1_000, identity.leaseMs / 4));
          continue;
        }
        throw new AppError(
          "unavailable",
          goneWhy
            ? `The Flint server that ran this notebook stopped answering (${goneWhy}); another server takes the notebook over now: check the cell and run it again if needed.`
            : `The Flint server that runs this notebook (${owner.serverId}) did not answer (${code ?? String(error)}); another server takes the notebook over within ${Math.ceil(identity.leaseMs / 1000)} s: try again then.`,
        );
      } finally {
        stopWatching();
      }
      // The owner lost the lease meanwhile: ask again who has it.
      if (response.status === 409 && Date.now() < deadline) {
        await sleep(100);
        continue;
      }
      let body: { ok?: boolean; result?: unknown; error?: TWireError } | null = null;
      try {
        body = JSON.parse(response.text);
      } catch {
        body = null;
      }
      if (body?.ok) return body.result;
      if (body?.error) throw fromWireError(body.error);
      throw new AppError(
        "unavailable",
        `The Flint server that runs this notebook answered ${response.status}; try again shortly.`,
      );
    }
  };

  const runLocally = async (notebookId: string, request: TInternalRequest): Promise<unknown> =>
    request.op === "command"
      ? broker.handleCommand(notebookId, request.command, request.context)
      : broker.runAndWait(notebookId, request.cellIds, request.timeoutMs, request.context);

  /**
   * Drops a forwarded events socket whose owner is gone, so the subscriber finds the notebook's
   * server again (and takes the notebook once the lease expired). A killed owner's socket does not
   * always close: a machine that vanished sends no FIN, and a half-open connection stays silent.
   * Two signals, each enough: the owner answers no ping for about a lease time, or the lease says
   * the owner is no longer it (moved, freed, or expired: the owner stopped renewing). Dropping a
   * live owner's socket by mistake (a stall) costs one reconnect and a fresh snapshot, nothing more.
   */
  const watchUpstream = (ws: WebSocket, notebookId: string, ownerId: string): (() => void) => {
    const drop = (why: string) => {
      if (ws.readyState !== ws.OPEN) return;
      log(`notebook ${notebookId}: ${why}; finding its server again`);
      ws.terminate();
    };
    const stopPinging = pingUntilSilent(ws, beatMs, (beats) =>
      drop(`its server ${ownerId} answered no ping for ${beats} beats`),
    );
    const stopWatchingLease = watchLease(notebookId, ownerId, drop);
    const stop = () => {
      stopPinging();
      stopWatchingLease();
    };
    ws.on("close", stop);
    return stop;
  };

  const relay = createCollabRelay({
    hub: options.collab ?? null,
    secret,
    secretHeader: CLUSTER_SECRET_HEADER,
    leaseMs: identity.leaseMs,
    resolveOwner,
    watchUpstream,
    // A relaying server that vanished leaves a silent socket: its browser's place in the room would leak.
    watchDownstream: (ws) => pingUntilSilent(ws, beatMs, () => ws.terminate()),
    log,
  });

  /** One subscriber's feed: the local session when owned here, else the owner's events socket. */
  const subscribe = (notebookId: string, listener: TBrokerListener): (() => void) => {
    let isDone = false;
    let stopCurrent: (() => void) | null = null;
    const onLeaseLost = () => {
      // Resubscribed at once: the new owner (resolved again) sends a fresh snapshot.
      stopCurrent?.();
      stopCurrent = null;
      void connect();
    };
    const connect = async (): Promise<void> => {
      while (!isDone && !isClosed) {
        let owner: TOwner;
        try {
          owner = await resolveOwner(notebookId);
        } catch (error) {
          log(`notebook ${notebookId}: finding its server failed: ${String(error)}`);
          await sleep(Math.min(1_000, identity.leaseMs / 4));
          continue;
        }
        if (isDone || isClosed) return;
        if (owner.isLocal) {
          const unsubscribe = broker.subscribe(notebookId, listener);
          const watch = setInterval(() => {
            if (!owned.has(notebookId)) {
              clearInterval(watch);
              onLeaseLost();
            }
          }, 1_000);
          watch.unref();
          stopCurrent = () => {
            clearInterval(watch);
            unsubscribe();
          };
          return;
        }
        const ownerId = owner.serverId;
        const isOpen = await openUpstream(notebookId, owner.internalUrl, listener, (ws) => {
          const stopWatching = watchUpstream(ws, notebookId, ownerId);
          stopCurrent = () => {
            stopWatching();
            ws.close(1000, "unsubscribed");
          };
        });
        if (isOpen) return;
        await sleep(Math.min(1_000, identity.leaseMs / 4));
      }
    };
    const openUpstream = (
      id: string,
      internalUrl: string,
      onEvent: TBrokerListener,
      onOpen: (ws: WebSocket) => void,
    ): Promise<boolean> =>
      new Promise((resolve) => {
        const url = `${internalUrl.replace(/^http/, "ws")}/_flint/internal/notebooks/${id}/events`;
        // A hung owner accepts the connection (its kernel does) but never answers the upgrade.
        const ws = new WebSocket(url, {
          headers: { [CLUSTER_SECRET_HEADER]: secret ?? "" },
          handshakeTimeout: identity.leaseMs,
        });
        let isOpened = false;
        ws.on("open", () => {
          isOpened = true;
          upstreams.add(ws);
          onOpen(ws);
          resolve(true);
        });
        ws.on("message", (data) => {
          try {
            onEvent(JSON.parse(data.toString()));
          } catch (error) {
            log(`notebook ${id}: bad event from its server: ${String(error)}`);
          }
        });
        ws.on("error", () => {
          if (!isOpened) resolve(false);
        });
        ws.on("close", () => {
          upstreams.delete(ws);
          if (!isOpened) return resolve(false);
          // The owner stopped or gave the notebook up: find the new owner.
          if (!isDone && !isClosed) {
            log(`notebook ${id}: the events socket of its server closed; finding its server again`);
            onLeaseLost();
          }
        });
      });
    void connect();
    return () => {
      isDone = true;
      stopCurrent?.();
      stopCurrent = null;
    };
  };

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_INTERNAL_BODY_BYTES)
        throw new AppError("payload_too_large", "Internal request too large.");
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
  };

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(body));
  };

  const handleInternalRequest = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const match = INTERNAL_COMMAND.exec(new URL(req.url ?? "/", "http://internal").pathname);
    if (!match?.[1]) return false;
    const notebookId = match[1];
    if (!isSecretValid(secret, req.headers[CLUSTER_SECRET_HEADER])) {
      answer(res, 403, { ok: false, error: { kind: "app", code: "forbidden", message: "Forbidden" } });
      return true;
    }
    try {
      if (req.method !== "POST") throw new AppError("method_not_allowed", "Use POST.");
      const parsed = ZInternalRequest.safeParse(JSON.parse(await readBody(req)));
      if (!parsed.success)
        throw new AppError("bad_request", `Invalid internal request: ${parsed.error.message}`);
      const owner = await resolveOwner(notebookId);
      if (!owner.isLocal) {
        answer(res, 409, { ok: false, error: { kind: "app", code: "conflict", message: "Not the owner" } });
        return true;
      }
      answer(res, 200, { ok: true, result: (await runLocally(notebookId, parsed.data)) ?? null });
    } catch (error) {
      const wire = toWireError(error);
      if (!wire)
        log(`forwarded request for notebook ${notebookId}: ${(error as Error)?.stack ?? String(error)}`);
      answer(res, 200, {
        ok: false,
        error: wire ?? {
          kind: "app",
          code: "internal",
          message: "The command failed on the server; it has been logged.",
        },
      });
    }
    return true;
  };

  const eventsServer = new WebSocketServer({ noServer: true });
  const handleInternalUpgrade = async (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<boolean> => {
    const pathname = new URL(req.url ?? "/", "http://internal").pathname;
    const collabMatch = INTERNAL_COLLAB.exec(pathname);
    if (collabMatch?.[1]) {
      if (!isSecretValid(secret, req.headers[CLUSTER_SECRET_HEADER])) {
        socket.write("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
        socket.destroy();
      } else await relay.accept(req, socket, head, collabMatch[1]);
      return true;
    }
    const match = INTERNAL_EVENTS.exec(pathname);
    if (!match?.[1]) return false;
    const notebookId = match[1];
    const refuse = (status: number, message: string) => {
      socket.write(`HTTP/1.1 ${status} ${message}\r\nConnection: close\r\n\r\n`);
      socket.destroy();
    };
    if (!isSecretValid(secret, req.headers[CLUSTER_SECRET_HEADER])) {
      refuse(403, "Forbidden");
      return true;
    }
    const owner = await resolveOwner(notebookId).catch(() => null);
    if (!owner?.isLocal) {
      refuse(409, "Conflict");
      return true;
    }
    eventsServer.handleUpgrade(req, socket, head, (ws) => {
      internalSockets.set(ws, notebookId);
      // A forwarding server that vanished leaves a silent socket: its subscription would leak.
      const stopPinging = pingUntilSilent(ws, beatMs, () => ws.terminate());
      ws.on("close", stopPinging);
      const unsubscribe = broker.subscribe(notebookId, (event) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
      });
      ws.on("close", () => {
        internalSockets.delete(ws);
        unsubscribe();
      });
    });
    return true;
  };

  return {
    subscribe,
    handleCommand: async (
      notebookId: string,
      command: TBrokerCommand,
      context?: TRunContext,
    ): Promise<TReplyEvent | null> =>
      (await forward(notebookId, { op: "command", command, context })) as TReplyEvent | null,
    runAndWait: async (
      notebookId: string,
      cellIds: readonly string[],
      timeoutMs: number,
      context?: TRunContext,
    ): Promise<TCellRunResult[]> =>
      (await forward(notebookId, {
        op: "runAndWait",
        cellIds: [...cellIds],
        timeoutMs,
        context,
      })) as TCellRunResult[],
    // A kernel on another server counts: the trash route then forwards its shutdown.
    kernelIdOf: (notebookId: string) => broker.kernelIdOf(notebookId) ?? remoteOwners.get(notebookId) ?? null,
    handleInternalRequest,
    handleInternalUpgrade,
    collab: { join: relay.join },
    close: async () => {
      isClosed = true;
      await relay.close();
      for (const ws of upstreams) ws.close(1001, "server stopping");
      for (const ws of internalSockets.keys()) ws.close(1001, "server stopping");
      await new Promise<void>((resolve) => eventsServer.close(() => resolve()));
    },
  };
}
