/**
 * Requests a notebook session makes of its kernel beside running cells: completions and
 * inspections (introspection), and the answers of live outputs (table pages, chart previews)
 * computed by `flint.kernel.live`. None of them queues behind a running cell.
 */

import type { KernelMessage } from "@jupyterlab/services";
import { KERNEL_BUSY_MESSAGE, TABLE_GONE_MESSAGE, type TResolvedOptions } from "./broker-types";
import type { KernelHandle } from "./kernels";
import { maskNotebookTokens } from "./mask-secrets";
import type { TCompleteResult, TInspectResult } from "./protocol";

/** A kernel's answer that is not a live output's result. */
export type TKernelQueryFailure = { status: "gone" | "busy" | "error"; message: string };

/** Introspection and live-output requests of one notebook's kernel. */
export class KernelQueries {
  /** Completions and inspections each kernel is answering (they make it "busy" too). */
  private readonly introspections = new WeakMap<KernelHandle, number>();

  constructor(
    private readonly options: Pick<TResolvedOptions, "introspectionTimeoutMs" | "liveOutputTimeoutMs">,
    /** Called when a request goes to the kernel (it counts as activity). */
    private readonly onUse: () => void,
  ) {}

  /**
   * Completions at `cursorPos` (code points) from `kernel`: null when no kernel may answer now
   * (none, or one running a cell), then the answer is `isAvailable: false`.
   */
  async complete(kernel: KernelHandle | null, code: string, cursorPos: number): Promise<TCompleteResult> {
    const empty: TCompleteResult = {
      isAvailable: false,
      matches: [],
      cursorStart: cursorPos,
      cursorEnd: cursorPos,
      metadata: {},
    };
    const usable = this.introspectionKernel(kernel);
    if (!usable) return empty;
    this.onUse();
    const reply = await this.withIntrospectionTimeout(
      usable,
      usable.connection.requestComplete({ code, cursor_pos: cursorPos }),
    );
    const content = reply?.content;
    if (content?.status !== "ok") return empty;
    return {
      isAvailable: true,
      matches: content.matches,
      cursorStart: content.cursor_start,
      cursorEnd: content.cursor_end,
      metadata: { ...content.metadata },
    };
  }

  /** Documentation of the name at `cursorPos` (code points). Same rules as {@link complete}. */
  async inspect(
    kernel: KernelHandle | null,
    code: string,
    cursorPos: number,
    detailLevel: 0 | 1,
  ): Promise<TInspectResult> {
    const empty: TInspectResult = { isAvailable: false, found: false, data: {}, metadata: {} };
    const usable = this.introspectionKernel(kernel);
    if (!usable) return empty;
    this.onUse();
    const reply = await this.withIntrospectionTimeout(
      usable,
      usable.connection.requestInspect({ code, cursor_pos: cursorPos, detail_level: detailLevel }),
    );
    const content = reply?.content;
    if (content?.status !== "ok") return empty;
    return {
      isAvailable: true,
      found: content.found,
      data: { ...content.data },
      metadata: { ...content.metadata },
    };
  }

  /**
   * Asks `flint.kernel.live.answer` in the kernel with a silent execute whose only work is a
   * user expression: no execution count, no history, no output, no Spark progress. The request
   * travels as JSON inside a Python string literal (as `pythonEnvironmentUpdate` does), so
   * nothing in it is code. The kernel's answer is checked with `schema` and masked like outputs.
   * `isBusy`: a cell runs or waits (the kernel answers shell requests one at a time).
   */
  async askLive<T extends { status: string }>(
    kernel: KernelHandle | null,
    isBusy: boolean,
    request: Record<string, unknown>,
    schema: { safeParse: (value: unknown) => { success: true; data: T } | { success: false } },
  ): Promise<T | TKernelQueryFailure> {
    if (!kernel || kernel.isDead) return { status: "gone", message: TABLE_GONE_MESSAGE };
    if (isBusy) return { status: "busy", message: KERNEL_BUSY_MESSAGE };
    this.onUse();
    const literal = JSON.stringify(JSON.stringify(request));
    const expression = `__import__("flint.kernel.live", fromlist=["answer"]).answer(${literal})`;
    const future = kernel.connection.requestExecute(
      {
        code: "",
        silent: true,
        store_history: false,
        user_expressions: { flint: expression },
        allow_stdin: false,
        stop_on_error: false,
      },
      true,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(null), this.options.liveOutputTimeoutMs);
    });
    let reply: KernelMessage.IExecuteReplyMsg | null;
    try {
      reply = await Promise.race([future.done, timeout]);
    } catch {
      // The kernel died or was replaced while answering.
      return { status: "gone", message: TABLE_GONE_MESSAGE };
    } finally {
      clearTimeout(timer);
    }
    if (!reply) {
      return {
        status: "error",
        message: `The kernel did not answer within ${Math.round(this.options.liveOutputTimeoutMs / 1000)} s.`,
      };
    }
    const content = reply.content;
    const value =
      content.status === "ok" ? (content.user_expressions?.flint as Record<string, unknown>) : null;
    if (value?.status !== "ok") {
      const reason =
        typeof value?.evalue === "string" ? value.evalue : "the kernel could not evaluate the request";
      // Most likely a kernel without Flint's package (an external Jupyter): nothing to page with.
      return { status: "error", message: `The kernel could not answer: ${reason}.` };
    }
    const data = (value.data as Record<string, unknown> | undefined)?.["application/json"];
    const parsed = schema.safeParse(maskNotebookTokens(data));
    if (!parsed.success) return { status: "error", message: "The kernel's answer was not understood." };
    return parsed.data;
  }

  private introspectionKernel(kernel: KernelHandle | null): KernelHandle | null {
    if (!kernel || kernel.isDead) return null;
    // A kernel busy with a cell would answer only after it: not worth a stuck request. Busy with
    // an earlier completion (typing "." asks, and Tab asks again while a fresh kernel's first
    // answer takes seconds), the request just waits behind it on the shell channel: refusing it
    // left the person with "No suggestions" and a second Tab to press.
    if (kernel.status === "busy" && !this.introspections.get(kernel)) return null;
    return kernel;
  }

  private async withIntrospectionTimeout<T>(kernel: KernelHandle, request: Promise<T>): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(null), this.options.introspectionTimeoutMs);
    });
    this.introspections.set(kernel, (this.introspections.get(kernel) ?? 0) + 1);
    try {
      return await Promise.race([request, timeout]);
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
      this.introspections.set(kernel, (this.introspections.get(kernel) ?? 1) - 1);
    }
  }
}
