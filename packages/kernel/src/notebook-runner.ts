/**
 * Runs a whole notebook, top to bottom, in a kernel of its own: what a job run does. Unlike the
 * broker's sessions (one shared kernel per notebook, cells run on request), a run takes a kernel
 * nobody else uses from the pool (in the notebook's project sandbox, like any kernel), executes
 * the given cells in order, stops at the first error, and shuts the kernel down when it ends, so
 * a run never sees or changes someone's interactive kernel. A timeout shuts the kernel down.
 */

import {
  applyKernelMessage,
  createCellRun,
  type TCell,
  type TCellRun,
  type TFoldOptions,
  type TOutput,
} from "@flint/notebook";
import type { KernelMessage } from "@jupyterlab/services";
import type { TRunContext, TRunEnvironment } from "./broker-types";
import { describeError } from "./errors";
import { pythonEnvironmentUpdate } from "./kernel-slot";
import type { KernelHandle } from "./kernels";
import { maskNotebookTokens } from "./mask-secrets";

/** Where a run gets its kernel: the runtime's {@link KernelPool}. */
export interface TRunKernelProvider {
  /** A started kernel in `notebookId`'s project, of kernelspec `kernelName` (the pool's by default). */
  acquire(notebookId: string, kernelName?: string): Promise<KernelHandle>;
  /** Shuts a kernel down. */
  release(handle: KernelHandle): void;
}

/** How a notebook run ended. */
export type TNotebookRunStatus = "succeeded" | "failed" | "timed_out";

/** What a notebook run gives back. */
export type TNotebookRunResult = {
  status: TNotebookRunStatus;
  /** The cells, code cells with the outputs and execution counts of this run (unrun ones empty). */
  cells: TCell[];
  /** Why it did not succeed: the failing cell's `ename: evalue`, or the timeout or start failure. */
  error: string | null;
  /** The id of the cell that failed or was running at the timeout. */
  failedCellId: string | null;
  /** What happened, a line per step, for the run's log. */
  log: string[];
  /** The kernel's Jupyter id (null when none started). */
  kernelId: string | null;
};

/** Options of {@link runNotebook}. */
export type TNotebookRunOptions = {
  kernels: TRunKernelProvider;
  /** The notebook the run belongs to: its project's sandbox hosts the kernel. */
  notebookId: string;
  /** The cells to run (parameters already injected). Markdown and raw cells are kept as they are. */
  cells: readonly TCell[];
  /** Kernelspec; default the pool's. */
  kernelName?: string;
  /** The whole run (kernel start included) may take this long; then the kernel is shut down. */
  timeoutMs: number;
  /** Who the run is for, and the environment the kernel gets for them (their notebook token). */
  context?: TRunContext;
  prepareRun?: (context: TRunContext & { notebookId: string }) => Promise<TRunEnvironment | null>;
  /** Output caps per cell. */
  fold?: TFoldOptions;
  /** Called when a cell's outputs change (to show progress); optional. */
  onCell?: (cellId: string, outputs: TOutput[]) => void;
};

class RunTimeout extends Error {}

/**
 * Runs `cells` in a fresh kernel and resolves with the executed notebook; never rejects (a kernel
 * that does not start is a failed run). The kernel is always shut down at the end.
 */
export async function runNotebook(options: TNotebookRunOptions): Promise<TNotebookRunResult> {
  const started = Date.now();
  const log: string[] = [];
  const note = (line: string) => log.push(`${new Date().toISOString()} ${line}`);
  const cells: TCell[] = options.cells.map((cell) =>
    cell.cell_type === "code" ? { ...cell, outputs: [], execution_count: null } : cell,
  );
  let kernel: KernelHandle | null = null;
  let runningCellId: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RunTimeout()), options.timeoutMs);
  });
  timedOut.catch(() => undefined);
  const finish = (status: TNotebookRunStatus, error: string | null): TNotebookRunResult => {
    note(`run ${status} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return {
      status,
      cells,
      error,
      failedCellId: error ? runningCellId : null,
      log,
      kernelId: kernel?.id ?? null,
    };
  };
  try {
    note(`starting a kernel${options.kernelName ? ` (${options.kernelName})` : ""}`);
    const acquiring = options.kernels.acquire(options.notebookId, options.kernelName);
    // A kernel that arrives after the timeout is shut down at once.
    acquiring.then(
      (handle) => {
        if (!kernel) kernel = handle;
        if (handle !== kernel) options.kernels.release(handle);
      },
      () => undefined,
    );
    kernel = await Promise.race([acquiring, timedOut]);
    note(`kernel ${kernel.id} started`);
    if (options.context && options.prepareRun) {
      try {
        const env = await options.prepareRun({ ...options.context, notebookId: options.notebookId });
        if (env) kernel.executeSilent(pythonEnvironmentUpdate(env));
      } catch (error) {
        note(`could not prepare the kernel's environment: ${describeError(error)}`);
      }
    }
    for (let index = 0; index < cells.length; index++) {
      const cell = cells[index]!;
      if (cell.cell_type !== "code" || cell.source.trim() === "") continue;
      runningCellId = cell.id;
      note(`running cell ${index + 1} (${cell.id})`);
      // Outputs so far are kept in the result as they come, so a timeout keeps what the cell printed.
      const onOutputs = (outputs: TOutput[]) => {
        cells[index] = { ...cell, outputs };
        options.onCell?.(cell.id, outputs);
      };
      const outcome = await Promise.race([executeCell(kernel, cell.source, onOutputs, options), timedOut]);
      cells[index] = { ...cell, outputs: outcome.run.outputs, execution_count: outcome.run.executionCount };
      if (outcome.error) {
        note(`cell ${index + 1} failed: ${outcome.error}`);
        return finish("failed", outcome.error);
      }
      runningCellId = null;
    }
    return finish("succeeded", null);
  } catch (error) {
    if (error instanceof RunTimeout) {
      const seconds = Math.round(options.timeoutMs / 1000);
      const where = runningCellId ? ` while cell ${runningCellId} was running` : " before the kernel started";
      note(`timed out${where}; shutting the kernel down`);
      return finish(
        "timed_out",
        `The run took longer than its timeout (${seconds} s)${where}; its kernel was shut down`,
      );
    }
    return finish("failed", `The run could not finish: ${describeError(error)}`);
  } finally {
    if (timer) clearTimeout(timer);
    if (kernel) options.kernels.release(kernel);
  }
}

/** Executes one cell and folds its IOPub messages; resolves when the kernel is done with it. */
async function executeCell(
  kernel: KernelHandle,
  source: string,
  onOutputs: (outputs: TOutput[]) => void,
  options: TNotebookRunOptions,
): Promise<{ run: TCellRun; error: string | null }> {
  let run = createCellRun();
  let error: string | null = null;
  const future = kernel.execute(source, {});
  future.onIOPub = (raw: KernelMessage.IIOPubMessage) => {
    const type = raw.header.msg_type;
    if (type === "status" || type === "execute_input") {
      if (type === "execute_input") {
        const count = (raw.content as { execution_count?: number }).execution_count;
        if (typeof count === "number") run = { ...run, executionCount: count };
      }
      return;
    }
    // A notebook token printed by a cell never reaches the run record.
    const content = maskNotebookTokens(raw.content);
    if (type === "error") {
      const { ename, evalue } = content as { ename?: string; evalue?: string };
      error = `${ename ?? "Error"}: ${evalue ?? ""}`;
    }
    const after = applyKernelMessage(run, { msg_type: type, content, metadata: raw.metadata }, options.fold);
    if (after !== run) {
      run = after;
      onOutputs(run.outputs);
    }
  };
  const died = new Promise<never>((_, reject) => {
    const stop = kernel.onDeath((reason) => reject(new Error(`the kernel died (${reason})`)));
    future.done.finally(stop).catch(() => undefined);
  });
  const reply = await Promise.race([future.done, died]);
  const content = reply.content;
  if (content.status === "error" && !error) error = `${content.ename}: ${content.evalue}`;
  if (content.status === "aborted" && !error) error = "the kernel aborted the cell";
  return { run, error };
}
