/**
 * IOPub handling of a notebook session: what a kernel message means for the running cell
 * (output, display update, idle, or nothing), and folding outputs into a cell's run with
 * `@flint/notebook`. No timers, no events: the session decides when to send and persist.
 */

import {
  applyKernelMessage,
  createCellRun,
  readDisplayUpdate,
  type TCellRun,
  type TDisplayUpdate,
  type TFoldOptions,
  type TKernelMessage,
  type TOutput,
  updateDisplayInCellRun,
  updateDisplayInOutputs,
} from "@flint/notebook";
import type { KernelMessage } from "@jupyterlab/services";
import { RATE_LIMIT_NOTICE } from "./broker-types";
import { maskNotebookTokens } from "./mask-secrets";
import type { TCellStatus } from "./protocol";
import type { TCellState, TExecution } from "./session-state";

/**
 * What an IOPub message means for the session:
 * - `display`: an `update_display_data` (for any cell, running or not),
 * - `idle`: the running cell's request is idle,
 * - `output`: an output of the running cell to fold (with `display` when it also updates
 *   earlier displays with its id),
 * - `ignore`: nothing (another request's output, a repeated rate-limit notice).
 */
export type TIOPubAction =
  | { kind: "display"; update: TDisplayUpdate }
  | { kind: "idle" }
  | { kind: "output"; message: TKernelMessage; display: TDisplayUpdate | null }
  | { kind: "ignore" };

/**
 * Reads an IOPub message for `execution` (the running cell, or null). Tokens are masked first:
 * a notebook token printed by a cell never reaches the fold, the database or a browser. Marks
 * on `execution` what it learns (the kernel started the request, an error arrived, the rate
 * notice was shown), so call it once per message.
 */
export function readIOPub(
  raw: KernelMessage.IIOPubMessage,
  execution: TExecution | null,
): { action: TIOPubAction; hasJustStarted: boolean } {
  const msg = { ...raw, content: maskNotebookTokens(raw.content) } as KernelMessage.IIOPubMessage;
  const type = msg.header.msg_type;
  if (type === "update_display_data") {
    const update = readDisplayUpdate(msg.content);
    return { action: update ? { kind: "display", update } : { kind: "ignore" }, hasJustStarted: false };
  }
  // Output of a cell that already finished (a background thread) is dropped, as JupyterLab does.
  if (!execution || msg.parent_header?.msg_id !== execution.msgId) {
    return { action: { kind: "ignore" }, hasJustStarted: false };
  }
  if (type === "status") {
    const isIdle = (msg.content as { execution_state?: string }).execution_state === "idle";
    return { action: isIdle ? { kind: "idle" } : { kind: "ignore" }, hasJustStarted: false };
  }
  const hasJustStarted = !execution.hasKernelStarted;
  execution.hasKernelStarted = true;
  let content: unknown = msg.content;
  if (type === "stream" && isRateLimitNotice(content)) {
    // jupyter_server's words name its own config flags; say what happened in Flint's.
    if (execution.hasRateNotice) return { action: { kind: "ignore" }, hasJustStarted };
    execution.hasRateNotice = true;
    content = { name: "stderr", text: RATE_LIMIT_NOTICE };
  }
  if (type === "error") execution.hasErrorOutput = true;
  // A new display with a known id also updates the earlier displays with that id.
  const display = type === "display_data" ? readDisplayUpdate(content) : null;
  const message: TKernelMessage = { msg_type: type, content, metadata: msg.metadata };
  return { action: { kind: "output", message, display }, hasJustStarted };
}

/**
 * Folds a message into a cell's run. Returns whether the run changed (then `state.run` is the
 * new one and `hasDisplayIds` is set when the output carries a display id).
 */
export function foldIntoCell(state: TCellState, message: TKernelMessage, options: TFoldOptions): boolean {
  const before = state.run ?? createCellRun();
  const after = applyKernelMessage(before, message, options);
  if (after === before) return false;
  state.run = after;
  if (hasDisplayId(message.content)) state.hasDisplayIds = true;
  return true;
}

/** An `error` output that names why a cell stopped (kernel died, could not start...). */
export function errorMessage(ename: string, evalue: string, traceback: string[]): TKernelMessage {
  return { msg_type: "error", content: { ename, evalue, traceback } };
}

/**
 * The error of a failed cell from its reply, when its `error` output never came: while a cell
 * floods, jupyter_server's IOPub rate limit drops every message, the traceback included, and
 * the person would see an interrupted cell with no KeyboardInterrupt.
 */
export function replyErrorMessage(reply: KernelMessage.IExecuteReplyMsg["content"]): TKernelMessage | null {
  if (reply.status !== "error") return null;
  return {
    msg_type: "error",
    content: maskNotebookTokens({
      ename: reply.ename,
      evalue: reply.evalue,
      traceback: reply.traceback ?? [],
    }),
  };
}

/** `obj?` and `%pinfo` answer with a "page" payload; show it as an output, as JupyterLab can. */
export function payloadMessage(payload: Record<string, unknown>): TKernelMessage | null {
  if (payload.source !== "page" || typeof payload.data !== "object" || payload.data === null) return null;
  return { msg_type: "display_data", content: { data: payload.data, metadata: {} } };
}

/**
 * Applies a display update to every held cell whose outputs carry display ids (`running`: the
 * running cell's state, whose fold state is updated too). Returns the cells that changed.
 */
export function applyDisplayUpdate(
  cells: Iterable<TCellState>,
  update: TDisplayUpdate,
  running: TCellState | null,
  options: TFoldOptions,
): TCellState[] {
  const changed: TCellState[] = [];
  for (const state of cells) {
    if (!state.run || !state.hasDisplayIds) continue;
    const before = state.run;
    const after =
      running === state
        ? updateDisplayInCellRun(before, update, options)
        : withOutputs(
            before,
            updateDisplayInOutputs(before.outputs, update.displayId, update.data, update.metadata, options),
          );
    if (after !== before) {
      state.run = after;
      changed.push(state);
    }
  }
  return changed;
}

/**
 * The reply Flint stands in for one the kernel never sent: the cell's request ended (`idle`)
 * without an `execute_reply`, which ipykernel does when an interrupt lands before the user's
 * code starts. The cell ends interrupted if one was asked for, else as an error saying so.
 */
export function replyLessOutcome(isInterruptRequested: boolean): KernelMessage.IExecuteReplyMsg["content"] {
  return isInterruptRequested
    ? {
        status: "error",
        execution_count: null,
        ename: "KeyboardInterrupt",
        evalue: "Interrupted before the cell's code started.",
        traceback: [],
      }
    : {
        status: "error",
        execution_count: null,
        ename: "KernelError",
        evalue: "The kernel ended this cell without a reply. Run it again; restart the kernel if it recurs.",
        traceback: [],
      };
}

/** The status a cell ends with, from its execute reply. */
export function readReplyStatus(
  reply: KernelMessage.IExecuteReplyMsg["content"],
  isInterruptRequested: boolean,
): TCellStatus {
  if (reply.status === "ok") return "ok";
  if (reply.status === "aborted") return "cancelled";
  if (reply.status === "error" && (isInterruptRequested || reply.ename === "KeyboardInterrupt")) {
    return "interrupted";
  }
  return "error";
}

function withOutputs(run: TCellRun, outputs: TOutput[]): TCellRun {
  return outputs === run.outputs ? run : { ...run, outputs };
}

function hasDisplayId(content: unknown): boolean {
  const transient = (content as { transient?: { display_id?: unknown } } | null)?.transient;
  return typeof transient?.display_id === "string";
}

function isRateLimitNotice(content: unknown): boolean {
  const text = (content as { text?: unknown } | null)?.text;
  return (
    typeof text === "string" &&
    (text.startsWith("IOPub data rate exceeded.") || text.startsWith("IOPub message rate exceeded."))
  );
}
