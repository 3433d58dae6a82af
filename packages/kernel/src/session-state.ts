/**
 * What a notebook session holds per cell, per queued run and for the running cell. Shared by
 * the session's parts (queue, IOPub fold, events, persistence); no behaviour here.
 */

import type { TCellRun, TOutput } from "@flint/notebook";
import type { KernelMessage } from "@jupyterlab/services";
import type { TCellRunUpdate, TRunContext } from "./broker-types";
import type { CellWriter } from "./cell-writer";
import type { KernelHandle } from "./kernels";
import type { OutputSpool } from "./output-spool";
import type { TCellExecution, TCellStatus } from "./protocol";

/** One cell as the session knows it: status, outputs held in memory, its writer. */
export type TCellState = {
  cellId: string;
  status: TCellStatus;
  executionCount: number | null;
  /** The fold state of the cell's latest run; `null` when its outputs are not held in memory. */
  run: TCellRun | null;
  /** Its outputs carry display ids the current kernel may still update. */
  hasDisplayIds: boolean;
  finishedAt: number | null;
  /** The latest run's times; `undefined` until the broker runs or clears the cell (unknown here). */
  execution: TCellExecution | null | undefined;
  /** What subscribers hold; `null`: the stored outputs (unknown here), so send everything. */
  sentOutputs: readonly TOutput[] | null;
  writer: CellWriter<TCellRunUpdate>;
};

/** A cell waiting in the queue; `done` settles when it finished (or was cancelled). */
export type TQueueEntry = {
  cellId: string;
  source: string;
  context: TRunContext | null;
  settle: () => void;
  done: Promise<void>;
};

/** The running cell: its execute request and what the kernel has answered so far. */
export type TExecution = {
  entry: TQueueEntry;
  state: TCellState;
  kernel: KernelHandle;
  msgId: string;
  reply: KernelMessage.IExecuteReplyMsg["content"] | null;
  isIdle: boolean;
  isInterruptRequested: boolean;
  /** An `error` output of this request arrived (jupyter_server's rate limit may drop it). */
  hasErrorOutput?: boolean;
  /**
   * The kernel published something for this request (normally `execute_input`), so it is inside
   * the request's handler, where SIGINT raises KeyboardInterrupt. Before that, ipykernel ignores
   * SIGINT (or it would interrupt the previous request), so an interrupt waits for this.
   */
  hasKernelStarted: boolean;
  /** When the kernel started the cell (its first message for it), `Date.now()`; null before. */
  kernelStartedAt: number | null;
  hasRateNotice: boolean;
  idleTimer: NodeJS.Timeout | null;
  /** The run's full text, when the broker keeps it (see {@link OutputSpool}). */
  spool: OutputSpool | null;
};
