/**
 * The one error type this package throws on purpose. Messages are written for the person who
 * reads them in a cell or a log, and never contain the Jupyter token.
 */

/** Why a kernel-runtime operation failed. */
export type TKernelErrorCode =
  /** A command named a cell the notebook does not have (map to 404/400). */
  | "cell_not_found"
  /** Jupyter Server could not be started or reached. */
  | "jupyter_unavailable"
  /** A kernel did not start (kernelspec missing, startup crash, timeout). */
  | "kernel_start_failed"
  /** The person who ran the cell has as many kernels as one person may have at once. */
  | "kernel_limit"
  /** The runtime is stopping or stopped. */
  | "stopped";

/** An expected failure of the kernel runtime, with a code the API can map to a status. */
export class KernelRuntimeError extends Error {
  /** Machine-readable reason. */
  readonly code: TKernelErrorCode;

  /** Creates an error; `message` must be safe to show to users (no tokens, no secrets). */
  constructor(code: TKernelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KernelRuntimeError";
    this.code = code;
  }
}

/** Describes any thrown value in one line, for logs and messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
