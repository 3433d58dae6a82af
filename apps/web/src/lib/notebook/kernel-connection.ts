// The page's one WebSocket to the execution broker (`/ws/notebooks/:id`, same origin, session
// cookie). It reconnects with exponential backoff and jitter when the socket drops, so a server
// restart or a network blip shows "reconnecting" and then carries on. A socket the server closed
// because the session ended (4401) or access was taken away (4403) stays closed: reconnecting
// would only be refused, so the page says so instead (notebook-socket.ts sends those codes).

import { parseServerEvent, type TClientCommand, type TServerEvent } from "./protocol";
import type { TConnection } from "./store";

export type TKernelConnectionHandlers = {
  onEvent: (event: TServerEvent) => void;
  onConnection: (state: TConnection) => void;
};

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;
/** Close codes of apps/web/src/server/notebook-socket.ts. */
const CLOSED_SIGNED_OUT = 4401;
const CLOSED_FORBIDDEN = 4403;

export class KernelConnection {
  private socket: WebSocket | null = null;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private isClosed = false;
  // Commands given before the socket opened (a run right after the page loads); sent on open.
  private waiting: TClientCommand[] = [];

  constructor(
    private readonly notebookId: string,
    private readonly handlers: TKernelConnectionHandlers,
  ) {}

  connect(): void {
    if (this.isClosed) return;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${window.location.host}/ws/notebooks/${encodeURIComponent(this.notebookId)}`;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = FIRST_RETRY_MS;
      this.handlers.onConnection("open");
      const waiting = this.waiting;
      this.waiting = [];
      for (const command of waiting) socket.send(JSON.stringify(command));
    };
    socket.onmessage = (message) => {
      if (typeof message.data !== "string") return;
      const event = parseServerEvent(message.data);
      if (event) this.handlers.onEvent(event);
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.socket = null;
      if (event.code === CLOSED_SIGNED_OUT || event.code === CLOSED_FORBIDDEN) {
        this.isClosed = true;
        this.waiting = [];
        this.handlers.onConnection(event.code === CLOSED_SIGNED_OUT ? "signedOut" : "forbidden");
        return;
      }
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.isClosed || this.retryTimer) return;
    this.handlers.onConnection("reconnecting");
    const delay = this.retryMs * (0.75 + Math.random() * 0.5);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  /** Sends a command; false when the socket is not open (the caller tells the user). */
  send(command: TClientCommand): boolean {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(command));
    return true;
  }

  /** Sends now, or as soon as the socket opens (while it is connecting or reconnecting). */
  sendOrQueue(command: TClientCommand): void {
    if (!this.send(command)) this.waiting.push(command);
  }

  isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Reconnects now instead of waiting for the backoff timer. */
  retryNow(): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.retryMs = FIRST_RETRY_MS;
    if (!this.socket) this.connect();
  }

  close(): void {
    this.isClosed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close();
    this.socket = null;
  }
}
