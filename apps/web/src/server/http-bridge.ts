// Converts between Node's http objects and the Fetch API objects the API package speaks.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

export function toFetchHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

export function toFetchRequest(req: IncomingMessage, origin: string): Request {
  const headers = toFetchHeaders(req);
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // Required by Node's fetch for streamed request bodies.
    duplex: hasBody ? "half" : undefined,
  } as RequestInit);
}

export async function sendFetchResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.statusCode = response.status;
  if (!response.body) {
    res.end();
    return;
  }
  const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
  await new Promise<void>((resolve, reject) => {
    body.on("error", reject);
    res.on("finish", resolve);
    res.on("close", resolve);
    body.pipe(res);
  });
}

/** The API's request handler, as `@flint/api` exports it. */
export type TApiHandle = (
  request: Request,
  client: { socketAddress: string | undefined },
) => Promise<Response>;

/**
 * Serves one `/api/*` request: the API gets the request and the socket's peer address, which the
 * sign-in limits count by (a forwarded header only counts from FLINT_TRUSTED_PROXIES).
 */
export async function serveApiRequest(
  handle: TApiHandle,
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
): Promise<void> {
  const response = await handle(toFetchRequest(req, origin), { socketAddress: req.socket.remoteAddress });
  await sendFetchResponse(response, res);
}
