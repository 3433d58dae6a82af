// The notebook WebSocket `/ws/notebooks/:id`: one per open notebook, served by apps/web's server. It relays the execution
// broker's events to the browser and the browser's commands to the broker. Every command goes
// through the same `authorize` check as the REST routes, and access is re-checked every few
// seconds so a removed or downgraded member loses the socket quickly (SECURITY.md case 15), as
// does a user whose credentials stop working: signed out, disabled, token revoked (case 33).
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type CollabHub, classifyFrame, encodeRefusal, type TCollabSession } from "@flint/collab";
import type { PrismaClient } from "@flint/db";
import { type ExecutionBroker, ZBrokerCommand } from "@flint/kernel";
import { type WebSocket, WebSocketServer } from "ws";
import { authorize, type TActor } from "./authorize.js";
import { AppError } from "./errors.js";
import { COLLAB_FRAME_PERMISSIONS, COMMAND_PERMISSIONS, type TPermission } from "./permissions.js";

const PATH = /^\/ws\/notebooks\/([A-Za-z0-9_-]{1,64})$/;
const RECHECK_MS = 3_000;
// The browser stops reconnecting on these and tells the user (apps/web/src/lib/notebook/kernel-connection.ts).
const CLOSED_SIGNED_OUT = 4401;
const SIGNED_OUT_REASON = "signed out: the session ended or the token was revoked; sign in again";
const MAX_MESSAGE_BYTES = 2_000_000;
// How long a yes for one kind of co-editing frame is trusted. Typing sends a frame per key: a
// database check each time would be two queries per key per person, and keys waiting on it made
// the tail of keystroke latency (bench/coedit). A yes older than FRAME_GRANT_MS is asked again in
// the background while frames keep flowing; one older than FRAME_GRANT_STALE_MS (the check is
// stuck or failing) makes frames wait for it. A grant taken away thus stops frames within about
// two seconds; the 3 s re-check closes the socket of someone who lost access altogether.
const FRAME_GRANT_MS = 1_000;
const FRAME_GRANT_STALE_MS = 3_000;

/** What the notebook socket server needs from the running server. */
export interface TNotebookSocketOptions {
  prisma: PrismaClient;
  /** The broker, or with several web servers the router that forwards to a notebook's owner. */
  broker: Pick<ExecutionBroker, "subscribe" | "handleCommand">;
  authenticate: (request: Request) => Promise<TActor | null>;
  trustedOrigins: string[];
  publicUrl: string;
  log: (message: string) => void;
  /**
   * The co-editing rooms, or with several web servers the router's `collab`, which joins the room
   * on the notebook's owner (relayed when that is another server); without it the socket carries
   * broker commands and events only.
   */
  collab?: Pick<CollabHub, "join"> | null;
}

function reject(socket: Duplex, status: number, message: string): void {
  socket.write(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${message}\n`,
  );
  socket.destroy();
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Creates the upgrade handler; returns false for paths that are not notebook sockets. */
export function createNotebookSocketServer(options: TNotebookSocketOptions) {
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const sockets = new Set<WebSocket>();

  const handleUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<boolean> => {
    const url = new URL(req.url ?? "/", options.publicUrl);
    const match = PATH.exec(url.pathname);
    if (!match?.[1]) return false;
    const notebookId = match[1];
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === "string") headers.set(name, value);
    const hasToken = headers.has("authorization");
    // Browsers always send Origin on WebSockets and cannot set Authorization: a cookie-borne
    // socket from another origin (or `Origin: null`) is refused (SECURITY.md case 18).
    if (!hasToken && !options.trustedOrigins.includes(headers.get("origin") ?? "")) {
      reject(socket, 403, "Forbidden: cross-origin WebSocket");
      return true;
    }
    const actor = await options.authenticate(new Request(url, { headers }));
    try {
      await authorize(options.prisma, actor, { kind: "notebook", id: notebookId }, "notebook.watch");
    } catch (error) {
      const status = error instanceof AppError ? error.status : 500;
      reject(socket, status, status === 401 ? "Unauthorized" : status === 404 ? "Not Found" : "Forbidden");
      return true;
    }
    // The credentials are kept to be checked again while the socket lives.
    const isSignedIn = async () =>
      actor === null || (await options.authenticate(new Request(url, { headers }))) !== null;
    server.handleUpgrade(req, socket, head, (ws) => attach(ws, notebookId, actor, isSignedIn));
    return true;
  };

  const attach = (
    ws: WebSocket,
    notebookId: string,
    actor: TActor | null,
    isSignedIn: () => Promise<boolean>,
  ) => {
    sockets.add(ws);
    const send = (event: unknown, isRefusal = false) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(isRefusal ? encodeRefusal(String(event)) : JSON.stringify(event));
    };
    const unsubscribe = options.broker.subscribe(notebookId, send);
    const recheck = setInterval(() => {
      isSignedIn()
        .then(async (isValid) => {
          if (!isValid) return ws.close(CLOSED_SIGNED_OUT, SIGNED_OUT_REASON);
          await authorize(options.prisma, actor, { kind: "notebook", id: notebookId }, "notebook.watch");
        })
        .catch(() => ws.close(4403, "access revoked"));
    }, RECHECK_MS);
    // Frames are handled in the order they came: a run sent right after a keystroke must find
    // that keystroke in the shared document. Only checks and applying are in this queue; a
    // command's own work (a run, a table page) goes on outside it.
    let queue: Promise<void> = Promise.resolve();
    ws.on("message", (data, isBinary) => {
      queue = queue.then(() => (isBinary ? handleFrame(toBytes(data)) : handleCommand(data.toString())));
    });
    const grants = new Map<TPermission, number>();
    const refreshing = new Set<TPermission>();
    // Credentials and role, checked together (both are database reads); false when the socket
    // was closed for signed-out credentials.
    const check = async (permission: TPermission): Promise<boolean> => {
      const [isValid, access] = await Promise.allSettled([
        isSignedIn(),
        authorize(options.prisma, actor, { kind: "notebook", id: notebookId }, permission),
      ]);
      if (isValid.status === "rejected") throw isValid.reason;
      if (!isValid.value) {
        ws.close(CLOSED_SIGNED_OUT, SIGNED_OUT_REASON);
        return false;
      }
      if (access.status === "rejected") throw access.reason;
      return true;
    };
    // A browser joins the notebook's co-editing room with its first binary frame (its sync step
    // one): clients that only run cells (REST scripts, older pages) never receive the document.
    let collab: Promise<TCollabSession | null> | null = null;
    const joinCollab = async (): Promise<TCollabSession | null> => {
      const hub = options.collab;
      if (!hub || !actor) return null;
      const canWrite = await authorize(
        options.prisma,
        actor,
        { kind: "notebook", id: notebookId },
        "notebook.edit",
      )
        .then(() => true)
        .catch(() => false);
      if (ws.readyState !== ws.OPEN) return null;
      return await hub.join(notebookId, {
        userId: actor.userId,
        canWrite,
        send: (frame) => {
          if (ws.readyState === ws.OPEN) ws.send(frame);
        },
        // The room moved to another server: the page reconnects (1012: service restart, not an
        // error it stops on) and merges what it holds, as after going offline.
        close: (reason) => ws.close(1012, reason.slice(0, 100)),
      });
    };
    const handleFrame = async (frame: Uint8Array) => {
      const kind = classifyFrame(frame);
      // Joining sends this browser the room's state: only someone who may read it joins.
      if (!collab && kind !== "invalid") {
        try {
          if (!(await check(COLLAB_FRAME_PERMISSIONS.read))) return;
        } catch {
          send("Refused: you cannot open this notebook.", true);
          return;
        }
        collab = joinCollab().catch((error) => {
          options.log(`notebook socket ${notebookId}: could not join co-editing: ${String(error)}`);
          return null;
        });
      }
      const session = await collab;
      if (!session || kind === "invalid") {
        send(
          !session ? "Co-editing is not available on this connection." : "Unknown co-editing frame.",
          true,
        );
        return;
      }
      const permission = COLLAB_FRAME_PERMISSIONS[kind];
      try {
        const grantedAt = grants.get(permission);
        const age = grantedAt === undefined ? Number.POSITIVE_INFINITY : Date.now() - grantedAt;
        if (age > FRAME_GRANT_STALE_MS) {
          if (!(await check(permission))) return;
          grants.set(permission, Date.now());
        } else if (age > FRAME_GRANT_MS && !refreshing.has(permission)) {
          refreshing.add(permission);
          check(permission)
            .then(
              (isValid) => (isValid ? grants.set(permission, Date.now()) : grants.delete(permission)),
              () => grants.delete(permission),
            )
            .finally(() => refreshing.delete(permission));
        }
      } catch (error) {
        grants.delete(permission);
        const message =
          error instanceof AppError ? error.message : "The change could not be checked; it was not applied.";
        send(`Refused: ${message}`, true);
        return;
      }
      await session.receive(frame, kind);
    };
    const handleCommand = async (text: string) => {
      let requestId: string | undefined;
      const fail = (error: unknown) => {
        const appError = error instanceof AppError ? error : null;
        if (!appError)
          options.log(`notebook socket ${notebookId}: ${(error as Error)?.stack ?? String(error)}`);
        send({
          type: "reply",
          requestId: requestId ?? "",
          ok: false,
          error: {
            code: appError?.code ?? "internal",
            message: appError?.message ?? "The command failed on the server; it has been logged.",
          },
        });
      };
      try {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw new AppError("bad_request", "Malformed JSON command.");
        }
        requestId =
          typeof (json as { requestId?: unknown })?.requestId === "string"
            ? (json as { requestId: string }).requestId
            : undefined;
        const parsed = ZBrokerCommand.safeParse(json);
        if (!parsed.success)
          throw new AppError(
            "bad_request",
            `Invalid command: ${parsed.error.issues[0]?.message ?? "unknown shape"}`,
          );
        const command = parsed.data;
        // Credentials too, so a disabled user's next command never reaches the kernel; and the
        // role on every command, so a role change applies to the next command at once (issue 23).
        if (!(await check(COMMAND_PERMISSIONS[command.type]))) return;
        // Relayed co-editing: the owner confirms it has applied the keystrokes sent before this
        // command, which goes to it another way (a forwarded request), so a run finds them.
        const session = collab ? await collab : null;
        await session?.barrier?.();
        // Runs carry the user, so the kernel calls Flint back with that user's rights.
        void options.broker
          .handleCommand(
            notebookId,
            command,
            actor ? { userId: actor.userId, userName: actor.name } : undefined,
          )
          .then((reply) => {
            if (reply) send(reply);
          }, fail);
      } catch (error) {
        fail(error);
      }
    };
    ws.on("close", () => {
      clearInterval(recheck);
      void collab?.then((session) => session?.leave());
      unsubscribe();
      sockets.delete(ws);
    });
  };

  const close = async () => {
    for (const ws of sockets) ws.close(1001, "server stopping");
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return { handleUpgrade, close };
}
