// The notebook WebSocket `/ws/notebooks/:id`: one per open notebook, served by apps/web's server. It relays the execution
// broker's events to the browser and the browser's commands to the broker. Every command goes
// through the same `authorize` check as the REST routes, and access is re-checked every few
// seconds so a removed or downgraded member loses the socket quickly (SECURITY.md case 15), as
// does a user whose credentials stop working: signed out, disabled, token revoked (case 33).
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { PrismaClient } from "@flint/db";
import { type ExecutionBroker, ZBrokerCommand } from "@flint/kernel";
import { type WebSocket, WebSocketServer } from "ws";
import { authorize, type TActor } from "./authorize.js";
import { AppError } from "./errors.js";
import { COMMAND_PERMISSIONS } from "./permissions.js";

const PATH = /^\/ws\/notebooks\/([A-Za-z0-9_-]{1,64})$/;
const RECHECK_MS = 3_000;
// The browser stops reconnecting on these and tells the user (apps/web/src/lib/notebook/kernel-connection.ts).
const CLOSED_SIGNED_OUT = 4401;
const SIGNED_OUT_REASON = "signed out: the session ended or the token was revoked; sign in again";
const MAX_MESSAGE_BYTES = 2_000_000;

/** What the notebook socket server needs from the running server. */
export interface TNotebookSocketOptions {
  prisma: PrismaClient;
  /** The broker, or with several web servers the router that forwards to a notebook's owner. */
  broker: Pick<ExecutionBroker, "subscribe" | "handleCommand">;
  authenticate: (request: Request) => Promise<TActor | null>;
  trustedOrigins: string[];
  publicUrl: string;
  log: (message: string) => void;
}

function reject(socket: Duplex, status: number, message: string): void {
  socket.write(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${message}\n`,
  );
  socket.destroy();
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
    const send = (event: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
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
    ws.on("message", async (data, isBinary) => {
      let requestId: string | undefined;
      try {
        if (isBinary) throw new AppError("bad_request", "Send commands as JSON text.");
        let json: unknown;
        try {
          json = JSON.parse(data.toString());
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
        // role on every command, so a role change applies to the next command at once. Both are
        // database reads on the way to every run (issue 23): they go out together, and the
        // command goes on only when both said yes.
        const [isValid, access] = await Promise.allSettled([
          isSignedIn(),
          authorize(
            options.prisma,
            actor,
            { kind: "notebook", id: notebookId },
            COMMAND_PERMISSIONS[command.type],
          ),
        ]);
        if (isValid.status === "rejected") throw isValid.reason;
        if (!isValid.value) {
          ws.close(CLOSED_SIGNED_OUT, SIGNED_OUT_REASON);
          return;
        }
        if (access.status === "rejected") throw access.reason;
        // Runs carry the user, so the kernel calls Flint back with that user's rights.
        const reply = await options.broker.handleCommand(
          notebookId,
          command,
          actor ? { userId: actor.userId, userName: actor.name } : undefined,
        );
        if (reply) send(reply);
      } catch (error) {
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
      }
    });
    ws.on("close", () => {
      clearInterval(recheck);
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
