/**
 * Errors of the catalog package. Their messages are safe to show to the caller (no secrets,
 * no other project's data); the API maps `code` to an HTTP status at its edge.
 */

/** Catalog error codes; each matches an API error code of the same name. */
export type TCatalogErrorCode =
  | "bad_request"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "insufficient_storage"
  | "unavailable";

/** An expected failure of a catalog operation, with a message a person can act on. */
export class CatalogError extends Error {
  constructor(
    readonly code: TCatalogErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "CatalogError";
  }
}

/** The 404 that hides whether an asset exists (SECURITY.md case 17). */
export function assetNotFound(): CatalogError {
  return new CatalogError("not_found", "Asset not found, or you do not have access to it.");
}
