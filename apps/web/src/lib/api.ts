// Browser-side calls to Flint's API, typed from its contract (`@flint/api/contract`): a route is
// called by name, its path, query and body are checked against the route's schemas by tsc, and
// the answer has the type the server validates it with. Errors carry the server's message so
// pages can show it.
import { buildPath, contract, type TRequest, type TResponse, type TRouteName } from "@flint/api/contract";

/** A refusal or failure of a call: the HTTP status (0: no answer) and the server's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** What a call may add besides the route's own parts. */
export interface TCallOptions {
  /** A body sent as it is (a file to upload), for routes that take raw bytes. */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A call's arguments: the request may be left out when the route needs no part of it. */
type TCallArgs<N extends TRouteName> =
  Record<string, never> extends TRequest<N>
    ? [request?: TRequest<N>, options?: TCallOptions]
    : [request: TRequest<N>, options?: TCallOptions];

/**
 * Calls route `name` of the contract and answers its parsed JSON, typed from the contract.
 * Throws {@link ApiError} for any refusal, and for a network failure (status 0).
 */
export async function apiClient<N extends TRouteName>(name: N, ...args: TCallArgs<N>): Promise<TResponse<N>> {
  const [request, options = {}] = args;
  const { params, query, body } = (request ?? {}) as {
    params?: Record<string, string>;
    query?: Record<string, unknown>;
    body?: unknown;
  };
  const endpoint = contract[name];
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== null) search.append(key, String(value));
  const path = buildPath(endpoint.path, params);
  const url = search.size > 0 ? `${path}?${search}` : path;
  return (await sendJson(url, {
    method: endpoint.method,
    json: body,
    body: options.rawBody,
    headers: options.headers,
    signal: options.signal,
  })) as TResponse<N>;
}

/**
 * Sends a request to one of Flint's own URLs and answers its JSON body. Only for what the API
 * contract does not hold (the sign-in forms' endpoints); API routes go through {@link apiClient}.
 */
export async function sendJson(
  url: string,
  init: RequestInit & { json?: unknown; headers?: Record<string, string> } = {},
): Promise<unknown> {
  const { json, ...rest } = init;
  let response: Response;
  try {
    response = await fetch(url, {
      ...rest,
      credentials: "same-origin",
      headers: {
        ...(json !== undefined ? { "content-type": "application/json" } : {}),
        ...(rest.headers ?? {}),
      },
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  } catch (caught) {
    // The browser's own words ("Failed to fetch"), as pages showed before.
    throw new ApiError(0, "network", (caught as Error).message);
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) {
    const error = (body.error ?? {}) as { code?: string; message?: string };
    throw new ApiError(
      response.status,
      error.code ?? "error",
      error.message ?? `Request failed (${response.status}).`,
      error,
    );
  }
  return body;
}

export type { TRequest, TResponse, TRouteName } from "@flint/api/contract";
