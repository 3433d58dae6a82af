/**
 * The execution broker's public types: what it needs from Flint (a {@link TCellRunStore} and a
 * {@link TKernelProvider}), its options, and the texts it shows in cells. Kept apart from the
 * classes so every part of a notebook session (queue, kernel slot, IOPub fold, events,
 * persistence) can import them without importing each other.
 */

import type { TOutput } from "@flint/notebook";
import type { TObjectStore } from "@flint/storage";
import type { KernelHandle } from "./kernels";
import type { TBrokerEvent, TCellExecution, TCellStatus } from "./protocol";
import { MAX_KERNEL_MESSAGE_BYTES } from "./server-settings";
import type { TLog } from "./supervisor";

/** A cell as the store has it saved. */
export type TStoredCell = { id: string; cell_type: string; source: string };

/**
 * A write of one cell's run. `outputs`, `executionCount` and `execution` are left out when only
 * the status changes (`queued`, `cancelled`): the store must then keep the stored ones.
 */
export type TCellRunUpdate = {
  status: TCellStatus;
  outputs?: TOutput[];
  executionCount?: number | null;
  /** When the run started and ended and who ran it; `null` clears them. */
  execution?: TCellExecution | null;
};

/**
 * Where the broker reads saved cells and writes cell runs: Flint's database in the server
 * (`createCellRunStore` in `@flint/api`), memory in tests (`MemoryCellRunStore`). Not the
 * browser's notebook model (`NotebookStore` in the web app).
 */
export interface TCellRunStore {
  /** The notebook's cells as saved, in order. The broker executes only these sources. */
  loadCells(notebookId: string): Promise<TStoredCell[]>;
  /** Stores one cell's outputs, execution count and status (fields left out stay unchanged). */
  saveCellRun(notebookId: string, cellId: string, update: TCellRunUpdate): Promise<void>;
  /**
   * The kernelspec name the notebook asks for (its saved `metadata.kernelspec.name`), or null.
   * Read before each kernel start; without it every notebook gets the runtime's default kernel.
   */
  loadKernelName?(notebookId: string): Promise<string | null>;
}

/** Where the broker gets kernels (the {@link KernelPool}). */
export interface TKernelProvider {
  /**
   * A started kernel for one notebook (in the notebook's project sandbox, where there are
   * sandboxes), of kernelspec `kernelName` (the provider's default when left out).
   */
  acquire(notebookId: string, kernelName?: string): Promise<KernelHandle>;
  /** Shuts down a kernel the broker no longer uses. */
  release(handle: KernelHandle): void;
}

/**
 * Who asked for a run: cells run with this user's rights where the kernel calls Flint back, and
 * their name is shown with the run's times ("by Ada").
 */
export type TRunContext = { userId: string; userName: string };

/**
 * Environment a kernel gets before it runs a cell for a user (e.g. `FLINT_API_TOKEN`, a
 * notebook token of that user). Returned by {@link TBrokerOptions.prepareRun}.
 */
export type TRunEnvironment = Record<string, string>;

/** Receives a notebook's events. */
export type TBrokerListener = (event: TBrokerEvent) => void;

/** Options of {@link ExecutionBroker}. */
export type TBrokerOptions = {
  store: TCellRunStore;
  kernels: TKernelProvider;
  /**
   * The kernelspec a notebook gets when it asks for none, or for one Flint does not offer
   * (default `flint-spark`): the kernel provider's own.
   */
  defaultKernelName?: string;
  /** Output cap per cell run, in bytes. Default 5 MB. */
  maxOutputBytes?: number;
  /** A notebook's kernel is shut down after this long without activity. Default 1 hour. */
  idleTimeoutMs?: number;
  /**
   * How long a finished cell's outputs stay in memory for late subscribers' snapshots (the store
   * keeps them anyway). Default 60 s.
   */
  keepFinishedOutputsMs?: number;
  /** Least time between two writes of a streaming cell. Default 250 ms. */
  persistIntervalMs?: number;
  /** Output events of a cell are batched over this long. Default 50 ms. */
  broadcastIntervalMs?: number;
  /**
   * How long `complete`/`inspect` wait for the kernel. Default 30 s: the kernel's first jedi
   * completion in a fresh environment parses pyspark's sources and takes seconds on a small machine.
   */
  introspectionTimeoutMs?: number;
  /**
   * How long a table page or chart preview may take in the kernel. Default 120 s: a sorted page
   * of a large Spark DataFrame is a job over all of it.
   */
  liveOutputTimeoutMs?: number;
  /**
   * Called before each cell run that has a {@link TRunContext}; the variables it returns are
   * set in the kernel's `os.environ` (a silent execute, sent only when they changed for that
   * kernel). The server uses it to hand the kernel a notebook token of the user who ran the
   * cell, so `flint.catalog` calls Flint as that user. A failure is logged and the cell runs.
   */
  prepareRun?: (context: TRunContext & { notebookId: string }) => Promise<TRunEnvironment | null>;
  /**
   * Called when a notebook's kernel is let go (shutdown, restart, death, idle): the tokens that
   * {@link prepareRun} gave it must stop working.
   */
  onKernelReleased?: (notebookId: string) => void;
  /**
   * Called when a notebook's kernel is about to be started (or taken from the warm pool) for a
   * run, with its kernelspec and the sources of the cells waiting for it, so the runtime can start
   * what those cells will use beside the kernel's own start (the project's shared Spark). Not
   * awaited; a throw is logged and the kernel starts anyway.
   */
  onKernelStarting?: (start: { notebookId: string; kernelName: string; sources: readonly string[] }) => void;
  /**
   * Kernels one person may have running at once (the person whose run started each kernel).
   * A run that needs one more is refused with a message that says what to do. 0: no limit.
   */
  maxKernelsPerUser?: number;
  /**
   * Why kernel `kernelId` died, when the runtime knows better than "the process exited" (e.g. it
   * went over its memory limit); null when it does not.
   */
  explainDeath?: (kernelId: string) => string | null;
  /**
   * Where the full text of runs over the output cap is kept ({@link OutputSpool}), for
   * "download full output". Without it, what is past the cap is only counted.
   */
  outputSpoolDir?: string;
  /**
   * An object store (FLINT_STORAGE_URL=s3://...) full outputs are moved to when their run ends,
   * so any web server can serve them; without it they stay in `outputSpoolDir`.
   */
  outputStore?: TObjectStore;
  log?: TLog;
};

/** The text shown in a cell whose kernel died under it. */
export const KERNEL_DIED_MESSAGE = "The kernel died while running this cell";

/** What a cell shows when jupyter_server's IOPub rate limit dropped some of its output. */
export const RATE_LIMIT_NOTICE =
  "output truncated: output came faster than Flint forwards it (over 4 MB/s or 5,000 messages/s); some was dropped\n";

/** What a cell shows when one of its messages was over the size Flint accepts at all. */
export const OVERSIZED_NOTICE = `output truncated: an output over ${MAX_KERNEL_MESSAGE_BYTES / 1024 / 1024} MB was dropped\n`;

/** What a live table says when its kernel no longer has it (restart, shutdown, another kernel). */
export const TABLE_GONE_MESSAGE = "This table is no longer in the kernel; run the cell again.";

/** What a live output says while a cell runs (the kernel answers shell requests one at a time). */
export const KERNEL_BUSY_MESSAGE = "The kernel is running a cell; try again when it finishes.";

/** The options with their defaults filled in (what the session's parts read). */
export type TResolvedOptions = Required<
  Omit<
    TBrokerOptions,
    | "store"
    | "kernels"
    | "prepareRun"
    | "outputSpoolDir"
    | "outputStore"
    | "onKernelReleased"
    | "onKernelStarting"
    | "explainDeath"
  >
> &
  Pick<
    TBrokerOptions,
    "prepareRun" | "outputSpoolDir" | "outputStore" | "onKernelReleased" | "onKernelStarting" | "explainDeath"
  >;
