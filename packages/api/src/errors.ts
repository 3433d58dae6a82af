/**
 * Typed application errors. Package code throws these; only the HTTP edge maps them to statuses
 * (STYLE.md: typed AppError mapped to HTTP at the edge).
 */
import type { z } from "zod";

/** The error codes of Flint's API, each with one HTTP status. */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal: 500,
  unavailable: 503,
  insufficient_storage: 507,
} as const;

export type TErrorCode = keyof typeof ERROR_STATUS;

/** An error whose message is safe to show to the caller: it must never contain secrets. */
export class AppError extends Error {
  constructor(
    readonly code: TErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Shorthand for the 404 that hides whether a resource exists (SECURITY.md case 17). */
export function notFound(what: string): AppError {
  return new AppError("not_found", `${what} not found, or you do not have access to it.`);
}

/** Turns zod issues into one readable sentence, e.g. `body.name: Too small: expected string to have >=1 characters`. */
export function describeZodError(where: string, error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${[where, ...issue.path.map(String)].join(".")}: ${issue.message}`)
    .join("; ");
}
