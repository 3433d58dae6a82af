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
  /** A binary frame: the shared document's sync, presence, saves (collab.ts). */
  onBinary?: (frame: Uint8Array) => void;
  /** The socket opened; called before commands queued while it was closed are sent. */
  onOpen?: () => void;
  onClose?: () => void;
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

  private removeNetworkListeners: (() => void) | null = null;

  constructor(
    private readonly notebookId: string,
    private readonly handlers: TKernelConnectionHandlers,
  ) {}

  /**
   * Follows the browser's network state: when it goes offline the socket is closed at once (a
   * socket on a dead network can take minutes to notice, while edits pile up unsent and the page
   * claims to be connected); when it is back, it reconnects at once instead of after the backoff.
   */
  private listenToNetwork(): void {
    if (this.removeNetworkListeners || typeof window === "undefined") return;
    const offline = () => this.socket?.close(4000, "offline");
    const online = () => this.retryNow();
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    this.removeNetworkListeners = () => {
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", online);
    };
  }

  connect(): void {
    if (this.isClosed) return;
    this.listenToNetwork();
    if (typeof navigator !== "undefined" && navigator.onLine === false) {
      this.scheduleRetry();
      return;
    }
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
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      this.retryMs = FIRST_RETRY_MS;
      this.handlers.onOpen?.();
      this.handlers.onConnection("open");
      const waiting = this.waiting;
      this.waiting = [];
      for (const command of waiting) socket.send(JSON.stringify(command));
    };
    socket.onmessage = (message) => {
      if (message.data instanceof ArrayBuffer) {
        this.handlers.onBinary?.(new Uint8Array(message.data));
        return;
      }
      if (typeof message.data !== "string") return;
      const event = parseServerEvent(message.data);
      if (event) this.handlers.onEvent(event);
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.socket = null;
      this.handlers.onClose?.();
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

  /** Sends a binary frame; false when the socket is not open. */
  sendBinary(frame: Uint8Array): boolean {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(frame);
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
    this.removeNetworkListeners?.();
    this.removeNetworkListeners = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close();
    this.socket = null;
  }
}
