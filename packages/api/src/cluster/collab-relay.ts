/**
 * Co-editing across several web servers (docs/coediting.md, "Several web servers"). A notebook's
 * room (its live Yjs document, everyone's presence, its saves) lives on one server: the holder of
 * the notebook's lease, the server that also runs its kernel. A browser connected to another server
 * is relayed: that server opens one internal WebSocket per browser to the owner
 * (`/_flint/internal/notebooks/:id/collab`, with FLINT_CLUSTER_SECRET) and passes the browser's
 * binary frames up and the room's frames down, unchanged.
 *
 * Authorization stays where the person is connected: the notebook socket checks every frame
 * (`COLLAB_FRAME_PERMISSIONS`) before it reaches {@link TCollabSession.receive}, relayed or not, and
 * the owner trusts what a relay sends because only a Flint server knows the secret. The owner still
 * classifies each frame itself and drops what is no co-editing frame.
 *
 * When the owner stops, dies or hangs, the relay notices (the socket closes, pings go unanswered,
 * or the lease moved or expired) and closes the browser's socket; the page reconnects, and its
 * sync step 1 and whole-state update, as after going offline, bring what it typed to the new owner,
 * which loaded the room from the database. What the dead owner had not yet saved is in the pages'
 * copies, so nothing a page still holds is lost.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type CollabHub, classifyFrame, type TCollabPeer, type TCollabSession } from "@flint/collab";
import { WebSocket, WebSocketServer } from "ws";
import { z } from "zod";
import { AppError } from "../errors.js";

/** The internal path of a relayed browser's co-editing frames. */
export const INTERNAL_COLLAB = /^\/_flint\/internal\/notebooks\/([A-Za-z0-9_-]{1,64})\/collab$/;
const USER_HEADER = "x-flint-user-id";
const CAN_WRITE_HEADER = "x-flint-can-write";
/** A relay socket the owner closes because it no longer holds the notebook's room. */
const CLOSED_NOT_OWNER = 4409;
const MAX_FRAME_BYTES = 2_000_000;
const ZUserId = z.string().min(1).max(200);
/** Text messages on a relay socket: a barrier and its echo (see {@link TCollabSession.barrier}). */
const ZBarrier = z.object({ barrier: z.number().int().nonnegative() });

type TOwner = { isLocal: true } | { isLocal: false; serverId: string; internalUrl: string };

/** What the relay needs of the router (notebook-router.ts). */
export interface TCollabRelayOptions {
  /** This server's rooms: used for the notebooks it owns. */
  hub: CollabHub | null;
  secret: string | null;
  secretHeader: string;
  leaseMs: number;
  resolveOwner: (notebookId: string) => Promise<TOwner>;
  /** Drops a socket to an owner that is gone (no pong, or the lease moved/expired); returns a stop. */
  watchUpstream: (ws: WebSocket, notebookId: string, ownerId: string) => () => void;
  /** Terminates a relay socket whose relaying server stopped answering pings; returns a stop. */
  watchDownstream: (ws: WebSocket) => () => void;
  log: (message: string) => void;
}

/** See the module comment. */
export interface TCollabRelay {
  /** Joins the notebook's room wherever it lives: here when this server owns it, else relayed. */
  join: (notebookId: string, peer: TCollabPeer) => Promise<TCollabSession>;
  /** Serves a relay socket on the owner; the caller checked the path and the secret. */
  accept: (req: IncomingMessage, socket: Duplex, head: Buffer, notebookId: string) => Promise<void>;
  /** Closes every relay socket, both directions. */
  close: () => Promise<void>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Creates the relay; see the module comment. */
export function createCollabRelay(options: TCollabRelayOptions): TCollabRelay {
  const { hub, secret, leaseMs, log } = options;
  const upstreams = new Set<WebSocket>();
  const downstreams = new Set<WebSocket>();
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  /** Opens a relay to the owner; null when it cannot be reached or is not the owner any more. */
  const openRelay = (
    notebookId: string,
    owner: { serverId: string; internalUrl: string },
    peer: TCollabPeer,
  ): Promise<TCollabSession | null> =>
    new Promise((resolve) => {
      const url = `${owner.internalUrl.replace(/^http/, "ws")}/_flint/internal/notebooks/${notebookId}/collab`;
      const ws = new WebSocket(url, {
        headers: {
          [options.secretHeader]: secret ?? "",
          [USER_HEADER]: peer.userId,
          [CAN_WRITE_HEADER]: peer.canWrite ? "1" : "0",
        },
        // A hung owner accepts the connection but never answers the upgrade.
        handshakeTimeout: leaseMs,
        maxPayload: MAX_FRAME_BYTES,
      });
      let isOpened = false;
      let hasLeft = false;
      let nextBarrier = 0;
      const barriers = new Map<number, () => void>();
      const releaseBarriers = () => {
        for (const release of barriers.values()) release();
        barriers.clear();
      };
      ws.on("open", () => {
        isOpened = true;
        upstreams.add(ws);
        const stopWatching = options.watchUpstream(ws, notebookId, owner.serverId);
        ws.on("close", stopWatching);
        resolve({
          // In order on one socket; the owner applies them in the order they came.
          receive: async (frame) => {
            if (ws.readyState === ws.OPEN) ws.send(frame);
          },
          leave: async () => {
            hasLeft = true;
            ws.close(1000, "left");
          },
          barrier: () =>
            new Promise<void>((done) => {
              if (ws.readyState !== ws.OPEN) return done();
              const id = nextBarrier++;
              barriers.set(id, done);
              ws.send(JSON.stringify({ barrier: id }));
            }),
        });
      });
      ws.on("message", (data, isBinary) => {
        if (isBinary) {
          peer.send(toBytes(data as Buffer));
          return;
        }
        const parsed = ZBarrier.safeParse(parseJson(data.toString()));
        if (!parsed.success) return;
        barriers.get(parsed.data.barrier)?.();
        barriers.delete(parsed.data.barrier);
      });
      // Refused (the owner is down), not the owner any more (409), or no answer to the upgrade.
      ws.on("error", (error) => {
        if (!isOpened) {
          log(
            `notebook ${notebookId}: co-editing relay to server ${owner.serverId} failed: ${String(error)}`,
          );
          resolve(null);
        }
      });
      ws.on("close", () => {
        upstreams.delete(ws);
        releaseBarriers();
        if (!isOpened) return resolve(null);
        // The owner stopped, died, hung or gave the notebook up: the browser reconnects, and its
        // next join finds the new owner.
        if (!hasLeft) peer.close?.("the notebook's co-editing moved to another server; reconnecting");
      });
    });

  const join = async (notebookId: string, peer: TCollabPeer): Promise<TCollabSession> => {
    // A dead owner's lease expires within a lease time; the survivor then takes the notebook.
    const deadline = Date.now() + 3 * leaseMs;
    for (;;) {
      const owner = await options.resolveOwner(notebookId);
      if (owner.isLocal) {
        if (!hub) throw new AppError("unavailable", "Co-editing is not available on this server.");
        return hub.join(notebookId, peer);
      }
      const session = await openRelay(notebookId, owner, peer);
      if (session) return session;
      if (Date.now() > deadline)
        throw new AppError(
          "unavailable",
          "The Flint server that holds this notebook's co-editing did not answer; reload in a moment.",
        );
      await sleep(Math.min(1_000, leaseMs / 4));
    }
  };

  const refuse = (socket: Duplex, status: number, message: string) => {
    socket.write(`HTTP/1.1 ${status} ${message}\r\nConnection: close\r\n\r\n`);
    socket.destroy();
  };

  const accept = async (req: IncomingMessage, socket: Duplex, head: Buffer, notebookId: string) => {
    const userId = ZUserId.safeParse(req.headers[USER_HEADER]);
    if (!userId.success) return refuse(socket, 400, "Bad Request");
    if (!hub) return refuse(socket, 503, "Service Unavailable");
    const owner = await options.resolveOwner(notebookId).catch(() => null);
    if (!owner?.isLocal) return refuse(socket, 409, "Conflict");
    server.handleUpgrade(req, socket, head, (ws) => {
      downstreams.add(ws);
      const stopWatching = options.watchDownstream(ws);
      const session = hub.join(notebookId, {
        userId: userId.data,
        canWrite: req.headers[CAN_WRITE_HEADER] === "1",
        send: (frame) => {
          if (ws.readyState === ws.OPEN) ws.send(frame);
        },
        close: (reason) => ws.close(CLOSED_NOT_OWNER, reason.slice(0, 100)),
      });
      session.catch((error) => {
        log(`notebook ${notebookId}: a relayed browser could not join: ${String(error)}`);
        ws.close(1011, "could not join");
      });
      // In the order they came, as the notebook socket does for its own browsers; a barrier is
      // answered once everything before it is applied.
      let queue: Promise<unknown> = session.catch(() => undefined);
      ws.on("message", (data, isBinary) => {
        queue = queue
          .then(async () => {
            const live = await session;
            if (!isBinary) {
              const parsed = ZBarrier.safeParse(parseJson(data.toString()));
              if (parsed.success && ws.readyState === ws.OPEN) ws.send(JSON.stringify(parsed.data));
              return;
            }
            const frame = toBytes(data as Buffer);
            const kind = classifyFrame(frame);
            if (kind === "invalid") return;
            await live.receive(frame, kind);
          })
          .catch((error) => log(`notebook ${notebookId}: relayed frame failed: ${String(error)}`));
      });
      ws.on("close", () => {
        downstreams.delete(ws);
        stopWatching();
        void session.then((live) => live.leave()).catch(() => undefined);
      });
    });
  };

  return {
    join,
    accept,
    close: async () => {
      for (const ws of upstreams) ws.close(1001, "server stopping");
      for (const ws of downstreams) ws.close(1001, "server stopping");
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
