/**
 * Masks notebook tokens (`flint_nbk_…`, the kernel's key to Flint's API) in kernel output before
 * the broker folds, saves or broadcasts it: `print(os.environ)` must not put a live credential
 * into a saved notebook that viewers, forks and published copies read.
 */

/** The secrets' shape: the prefix and the base64url body `@flint/catalog` issues. */
const NOTEBOOK_TOKEN = /flint_nbk_[A-Za-z0-9_-]{8,}/g;

/** What a masked token reads as. */
export const MASKED_TOKEN = "flint_nbk_•••••• (hidden by Flint)";

/**
 * Returns `value` with every notebook token in its strings replaced by {@link MASKED_TOKEN}.
 * Objects without a token are returned as they are (the usual case costs one walk, no copy).
 */
export function maskNotebookTokens<T>(value: T): T {
  return mask(value) as T;
}

function mask(value: unknown): unknown {
  if (typeof value === "string") {
    return value.includes("flint_nbk_") ? value.replace(NOTEBOOK_TOKEN, MASKED_TOKEN) : value;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const masked = mask(value[i]);
      if (masked !== value[i]) {
        copy ??= value.slice();
        copy[i] = masked;
      }
    }
    return copy ?? value;
  }
  if (value && typeof value === "object") {
    let copy: Record<string, unknown> | null = null;
    for (const [key, item] of Object.entries(value)) {
      const masked = mask(item);
      if (masked !== item) {
        copy ??= { ...(value as Record<string, unknown>) };
        copy[key] = masked;
      }
    }
    return copy ?? value;
  }
  return value;
}
