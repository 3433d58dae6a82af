/**
 * `@jupyterlab/services` connection settings for a Jupyter Server reached from Node. The token
 * travels only in `Authorization` headers, on REST calls and on the kernel WebSocket upgrade,
 * never in a URL (`appendToken: false`), so it cannot end up in a log line or an error message.
 */

import { ServerConnection } from "@jupyterlab/services";
import WebSocket from "ws";

/** How long one REST call to Jupyter may take before it fails (a hung server must not hang us). */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Largest kernel message accepted, far above the per-cell output cap. jupyter_server's IOPub
 * rate limit sheds stream floods but not one huge display (a 200 MB image): parsing that would
 * stall Node for a second and take a gigabyte. A larger message closes the kernel WebSocket
 * (`@jupyterlab/services` reconnects at once) and is reported through `onOversizedMessage`.
 */
export const MAX_KERNEL_MESSAGE_BYTES = 32 * 1024 * 1024;

/** Callbacks of the kernel WebSockets of one server. */
export type TSocketHooks = {
  /** An exception while a kernel message was handled (a malformed message); it was dropped. */
  onMessageError: (error: unknown) => void;
  /** A message over {@link MAX_KERNEL_MESSAGE_BYTES} from kernel `kernelId` was dropped. */
  onOversizedMessage: (kernelId: string) => void;
};

/** Where a Jupyter Server is and how to authenticate to it. */
export type TJupyterEndpoint = {
  /** Base URL, e.g. `http://127.0.0.1:8888/` (a path prefix such as `/gateway/` is kept). */
  baseUrl: string;
  /** The server's token; stays inside the settings object. */
  token: string;
};

/**
 * Builds settings for `@jupyterlab/services`. Exceptions thrown while a kernel message is handled
 * (malformed messages, which a kernel can send on purpose) go to `hooks.onMessageError`; without
 * the guard they would be uncaught exceptions inside the WebSocket and end the Node process.
 */
export function createServerSettings(
  endpoint: TJupyterEndpoint,
  hooks: TSocketHooks,
): ServerConnection.ISettings {
  const baseUrl = endpoint.baseUrl.endsWith("/") ? endpoint.baseUrl : `${endpoint.baseUrl}/`;
  const wsUrl = baseUrl.replace(/^http/, "ws");
  const { token } = endpoint;

  class KernelSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, {
        headers: { Authorization: `token ${token}` },
        maxPayload: MAX_KERNEL_MESSAGE_BYTES,
      });
      const kernelId = /\/api\/kernels\/([^/?]+)\/channels/.exec(url)?.[1];
      this.on("error", (error: Error & { code?: string }) => {
        if (kernelId && error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH")
          hooks.onOversizedMessage(kernelId);
      });
    }
  }
  // `onmessage = fn` goes through addEventListener; wrapping it there covers the library's handler.
  const addEventListener = WebSocket.prototype.addEventListener;
  Object.defineProperty(KernelSocket.prototype, "addEventListener", {
    value: function guardedAddEventListener(
      this: WebSocket,
      type: string,
      listener: (...args: unknown[]) => unknown,
      options?: unknown,
    ) {
      const guarded = function (this: unknown, ...args: unknown[]) {
        try {
          return listener.apply(this, args);
        } catch (error) {
          hooks.onMessageError(error);
          return undefined;
        }
      };
      return Reflect.apply(addEventListener, this, [type, guarded, options]);
    },
  });

  return ServerConnection.makeSettings({
    baseUrl,
    wsUrl,
    token,
    appendToken: false,
    // Node has no cookies or cache to worry about; `no-store` would add a cache-buster per call.
    init: { cache: "no-cache" },
    fetch: (input: RequestInfo, init?: RequestInit) =>
      fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
    // The DOM and `ws` WebSocket types differ in detail; services only uses the common subset.
    WebSocket: KernelSocket as unknown as typeof globalThis.WebSocket,
  });
}

/** `GET <path>` on the server with the token; resolves with the response (never throws on status). */
export async function requestJupyter(
  endpoint: TJupyterEndpoint,
  path: string,
  timeoutMs = 5_000,
): Promise<Response> {
  const baseUrl = endpoint.baseUrl.endsWith("/") ? endpoint.baseUrl : `${endpoint.baseUrl}/`;
  return fetch(new URL(path, baseUrl), {
    headers: { Authorization: `token ${endpoint.token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
}
