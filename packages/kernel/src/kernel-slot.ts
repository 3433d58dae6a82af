/**
 * A notebook's kernel slot: which kernel serves the notebook, who started it, its status as
 * subscribers see it, and its lifecycle (acquire from the {@link TKernelProvider}, attach its
 * message handlers, prepare its environment for a user's run, release it). The session decides
 * when; the slot knows how.
 */

import type { KernelMessage } from "@jupyterlab/services";
import type {
  TCellRunStore,
  TKernelProvider,
  TResolvedOptions,
  TRunContext,
  TRunEnvironment,
} from "./broker-types";
import { describeError, KernelRuntimeError } from "./errors";
import type { KernelHandle, TServicesStatus } from "./kernels";
import { chooseKernel, type TKernelChoice, type TKernelStatus } from "./protocol";

/** What the slot's kernel reports, for the session to act on. */
export type TKernelSlotHandlers = {
  onIOPub: (kernel: KernelHandle, msg: KernelMessage.IIOPubMessage) => void;
  onDeath: (kernel: KernelHandle, reason: string) => void;
  onDroppedMessage: (kernel: KernelHandle) => void;
  /** The status subscribers see changed. */
  onStatus: (status: TKernelStatus, detail: string | undefined) => void;
  /** The kernel the notebook has or will start changed (its saved choice was read). */
  onChoice: (choice: TKernelChoice) => void;
};

/** The kernel of one notebook. */
export class KernelSlot {
  private handle: KernelHandle | null = null;
  private subscriptions: Array<() => void> = [];
  private statusValue: TKernelStatus = "not started";
  private detailValue: string | undefined;
  private acquiring: Promise<KernelHandle> | null = null;
  /** Set when the kernel is shut down while one is being acquired: that one is not wanted. */
  private isAcquiredUnwanted = false;
  /** What {@link prepare} last set, and in which kernel. */
  private preparedEnv: { kernel: KernelHandle; key: string } | null = null;
  /** Who started the current kernel (see {@link owner}). */
  private ownerId: string | null = null;
  /** The kernelspec of the current (or starting) kernel, as last read from the notebook. */
  private choiceValue: TKernelChoice | null = null;
  /** The kernelspec the attached kernel was started from. */
  private handleKernelName: string | null = null;

  constructor(
    private readonly notebookId: string,
    private readonly store: TCellRunStore,
    private readonly kernels: TKernelProvider,
    private readonly options: TResolvedOptions,
    private readonly handlers: TKernelSlotHandlers,
    /** How many other notebooks' kernels `userId` started (for `maxKernelsPerUser`). */
    private readonly kernelsOwnedBy: (userId: string) => number,
    /** Whether the session closed (a kernel that arrives then is released at once). */
    private readonly isClosed: () => boolean,
  ) {}

  /** The attached kernel, or null. */
  get kernel(): KernelHandle | null {
    return this.handle;
  }

  /** Whether a kernel is being acquired. */
  get isAcquiring(): boolean {
    return this.acquiring !== null;
  }

  /** The kernel status subscribers see, and its detail. */
  get status(): { status: TKernelStatus; detail: string | undefined } {
    return { status: this.statusValue, detail: this.detailValue };
  }

  /** The kernel the notebook has or will start; null until its choice was first read. */
  get choice(): TKernelChoice | null {
    return this.choiceValue;
  }

  /** The kernelspec the live kernel runs, or null without one. */
  get kernelName(): string | null {
    return this.handle && !this.handle.isDead ? this.handleKernelName : null;
  }

  /**
   * Reads the notebook's kernel choice (its saved `metadata.kernelspec`) and tells subscribers when
   * it changed. A store that fails is logged and the default kernel is used: a notebook must run.
   */
  async readChoice(): Promise<TKernelChoice> {
    let requested: string | null = null;
    try {
      requested = (await this.store.loadKernelName?.(this.notebookId)) ?? null;
    } catch (error) {
      this.options.log(
        `reading the kernel choice of notebook ${this.notebookId} failed: ${describeError(error)}`,
      );
    }
    const choice = chooseKernel(requested, this.options.defaultKernelName);
    const previous = this.choiceValue;
    this.choiceValue = choice;
    if (previous?.name !== choice.name || previous?.notice !== choice.notice) this.handlers.onChoice(choice);
    return choice;
  }

  /** Who started this notebook's live (or starting) kernel; null without one. */
  get owner(): string | null {
    const hasKernel = (this.handle !== null && !this.handle.isDead) || this.acquiring !== null;
    return hasKernel ? this.ownerId : null;
  }

  /** Sets the status subscribers see (announced only when it changed). */
  setStatus(status: TKernelStatus, detail?: string): void {
    if (status === this.statusValue && detail === this.detailValue) return;
    this.statusValue = status;
    this.detailValue = detail;
    this.handlers.onStatus(status, detail);
  }

  /**
   * Records who starts this notebook's next kernel, refusing when that person already has
   * `maxKernelsPerUser` kernels.
   */
  claim(context: TRunContext | null): void {
    const limit = this.options.maxKernelsPerUser;
    const userId = context?.userId ?? null;
    if (userId && limit > 0) {
      const others = this.kernelsOwnedBy(userId);
      if (others >= limit) {
        throw new KernelRuntimeError(
          "kernel_limit",
          `you have ${others} kernels running, as many as one person may have at once (${limit}). ` +
            "Shut down the kernel of a notebook you are done with (its Shut down button), or wait until an idle one stops, then run again.",
        );
      }
    }
    this.ownerId = userId;
  }

  /**
   * The notebook's kernel, starting (or taking a warm) one when there is none. `sources`: the
   * cells that will run on it (for {@link TBrokerOptions.onKernelStarting}), read only then.
   */
  async ensure(
    waitingStatus: TKernelStatus,
    sources: () => readonly string[] = () => [],
  ): Promise<KernelHandle> {
    if (this.handle && !this.handle.isDead) return this.handle;
    this.isAcquiredUnwanted = false;
    if (!this.acquiring) {
      this.setStatus(waitingStatus);
      // The notebook's kernelspec is read at every start, so a change of kernel (a restart after
      // `PUT /notebooks/{id}/kernel`) starts the new kind.
      let kernelName = this.options.defaultKernelName;
      const acquiring = this.readChoice().then((choice) => {
        kernelName = choice.name;
        try {
          this.options.onKernelStarting?.({ notebookId: this.notebookId, kernelName, sources: sources() });
        } catch (error) {
          this.options.log(`preparing for the kernel of ${this.notebookId} failed: ${describeError(error)}`);
        }
        return this.kernels.acquire(this.notebookId, choice.name);
      });
      this.acquiring = acquiring;
      acquiring.then(
        (handle) => {
          if (this.acquiring === acquiring) this.acquiring = null;
          if (this.isClosed() || this.isAcquiredUnwanted) {
            this.isAcquiredUnwanted = false;
            this.kernels.release(handle);
            return;
          }
          this.attach(handle, kernelName);
        },
        (error: unknown) => {
          if (this.acquiring === acquiring) this.acquiring = null;
          this.setStatus("dead", `The kernel could not start: ${describeError(error)}`);
        },
      );
    }
    const handle = await this.acquiring;
    if (this.isClosed()) throw new KernelRuntimeError("stopped", "Flint is shutting down");
    // `attach` ran in the handler above (registered first), unless the kernel was unwanted.
    return this.handle ?? handle;
  }

  /** Stops listening to the kernel and lets go of it here (it keeps running). */
  detach(): KernelHandle | null {
    for (const unsubscribe of this.subscriptions) unsubscribe();
    this.subscriptions = [];
    const kernel = this.handle;
    this.handle = null;
    return kernel;
  }

  /** Shuts a kernel down and tells `onKernelReleased` (its run tokens must stop working). */
  release(kernel: KernelHandle): void {
    this.kernels.release(kernel);
    this.preparedEnv = null;
    try {
      this.options.onKernelReleased?.(this.notebookId);
    } catch (error) {
      this.options.log(`after the kernel of ${this.notebookId} stopped: ${describeError(error)}`);
    }
  }

  /** Detaches and releases the kernel; a kernel still starting is released when it arrives. */
  drop(): void {
    const kernel = this.detach();
    if (kernel) this.release(kernel);
    // A kernel still starting would be attached when it arrives; a restart re-wants it.
    if (this.acquiring) this.isAcquiredUnwanted = true;
  }

  /** Why `kernel` died, when the runtime knows better than "the process exited"; else null. */
  explainDeath(kernel: KernelHandle): string | null {
    try {
      return this.options.explainDeath?.(kernel.id) ?? null;
    } catch {
      return null;
    }
  }

  /**
   * Sets the environment `prepareRun` gives for the user of a run in the kernel, unless that
   * kernel already has exactly it (the usual case: tokens are reused).
   */
  async prepare(kernel: KernelHandle, context: TRunContext | null): Promise<void> {
    const prepareRun = this.options.prepareRun;
    if (!prepareRun || !context) return;
    let env: TRunEnvironment | null = null;
    try {
      env = await prepareRun({ ...context, notebookId: this.notebookId });
    } catch (error) {
      this.options.log(`preparing a run of notebook ${this.notebookId} failed: ${describeError(error)}`);
      return;
    }
    if (!env || kernel.isDead || kernel !== this.handle) return;
    const key = JSON.stringify(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
    if (this.preparedEnv?.kernel === kernel && this.preparedEnv.key === key) return;
    this.preparedEnv = { kernel, key };
    kernel.executeSilent(pythonEnvironmentUpdate(env) + PRESTART_SHARED_SPARK);
  }

  private attach(handle: KernelHandle, kernelName: string): void {
    this.detach();
    this.handle = handle;
    this.handleKernelName = kernelName;
    this.subscriptions = [
      handle.onIOPub((msg) => this.handlers.onIOPub(handle, msg)),
      handle.onStatus((status) => {
        if (handle !== this.handle) return;
        const mapped = toKernelStatus(status);
        if (mapped) this.setStatus(mapped);
      }),
      handle.onDeath((reason) => this.handlers.onDeath(handle, reason)),
      handle.onDroppedMessage(() => this.handlers.onDroppedMessage(handle)),
    ];
    this.setStatus(toKernelStatus(handle.status) ?? "idle");
  }
}

function toKernelStatus(status: TServicesStatus): TKernelStatus | null {
  switch (status) {
    case "idle":
      return "idle";
    case "busy":
      return "busy";
    case "starting":
      return "starting";
    default:
      // "unknown" while reconnecting, "restarting"/"dead" are handled as deaths.
      return null;
  }
}

/**
 * Once the kernel has its notebook token: start its session on the project's shared Spark if the
 * warm pool readied it for that (flint.kernel.prestart_shared_spark decides; docs/spark.md).
 */
const PRESTART_SHARED_SPARK =
  "try:\n    import flint.kernel as _flint_kernel\n    _flint_kernel.prestart_shared_spark()\n    del _flint_kernel\nexcept ImportError:\n    pass\n";

/**
 * Python that sets `env` in `os.environ`. The values travel as one JSON document inside a
 * Python string literal (JSON string syntax is valid Python), so no value can break out of it.
 */
export function pythonEnvironmentUpdate(env: TRunEnvironment): string {
  const json = JSON.stringify(JSON.stringify(env));
  return `import os as _flint_os, json as _flint_json\n_flint_os.environ.update(_flint_json.loads(${json}))\ndel _flint_os, _flint_json\n`;
}
