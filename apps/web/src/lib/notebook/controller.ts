// The notebook page's I/O: loading, co-editing through the shared document (collab.ts; the
// server saves it), compare-and-swap saves with conflicts and local drafts for a page that has no
// shared document yet, and the broker's WebSocket (run, interrupt, restart, completion,
// inspection). The store holds the state; views call the controller and never fetch or send
// anything themselves.
import { applyNotebook, getSourceText, readNotebook } from "@flint/collab/shared";
import type { TKernelName } from "@flint/kernel/protocol";
import { exportIpynb, parseIpynb, type TCell, type TNotebook } from "@flint/notebook";
import { ApiError, apiClient, type TResponse } from "@/lib/api";
import { diffNotebookCells, type TCellDiff } from "./cell-diff";
import { CollabClient, DRAFT, LOCAL, mergeShared, REMOTE, toSharedCell } from "./collab";
import { applyDraft, clearDrafts, draftDiffers, readDraft, type TDraft, writeDraft } from "./drafts";
import { bindExistingModels } from "./editor-models";
import { KernelConnection } from "./kernel-connection";
import {
  applyOutputChanges,
  codePointsToUtf16Offset,
  type TChartPreviewResult,
  type TClientCommand,
  type TReply,
  type TServerEvent,
  type TTablePageCommand,
  type TTablePageResult,
  utf16OffsetToCodePoints,
} from "./protocol";
import { NotebookStore } from "./store";

type TCompleteResult = Extract<NonNullable<Extract<TReply, { ok: true }>["result"]>, { matches: string[] }>;

export const AUTOSAVE_DELAY_MS = 2000;
/** How long Ctrl+S waits for the server to save the shared document. */
const SHARED_SAVE_TIMEOUT_MS = 10_000;
const DRAFT_DELAY_MS = 300;
// Longer than the broker waits for the kernel (30 s): a first completion in a fresh environment is slow.
const REQUEST_TIMEOUT_MS = 35_000;
const NOTICE_MS = 6000;
const COMPLETE_ATTEMPTS = 4;
const COMPLETE_RETRY_MS = 200;

type TNotebookDocument = TResponse<"getNotebook">;

export type TDialog =
  | { kind: "conflict"; message: string; currentVersion: number | null; diff: TCellDiff[] | null }
  | { kind: "draft"; draft: TDraft; serverVersion: number }
  | null;

export type TCompletion = {
  matches: string[];
  /** The kind of each match ("function", "module" ...) when the kernel says it. */
  types: (string | undefined)[];
  start: number;
  end: number;
};

function parseDocument(doc: TNotebookDocument): TNotebook {
  const parsed = parseIpynb(JSON.stringify(doc.notebook));
  if (!parsed.ok) throw new Error(`This notebook could not be read: ${parsed.error}`);
  return parsed.notebook;
}

/** The document a save sends: sources and metadata only, since the broker owns outputs. */
function toSaveBody(notebook: TNotebook): Record<string, unknown> {
  const withoutOutputs: TNotebook = {
    ...notebook,
    cells: notebook.cells.map(
      (cell): TCell => (cell.cell_type === "code" ? { ...cell, outputs: [], execution_count: null } : cell),
    ),
  };
  return exportIpynb(withoutOutputs) as unknown as Record<string, unknown>;
}

/** Table pages and chart previews may sort a large Spark DataFrame; the broker gives up at 120 s. */
const LIVE_TIMEOUT_MS = 125_000;

/** A live-output reply as its result, or a failure with a message the output shows. */
function readLiveReply(
  reply: TReply | null,
  isOk: (result: object) => boolean,
): { status: string; message?: string } {
  if (!reply) return { status: "error", message: "No answer: the connection to Flint is down. Try again." };
  if (!reply.ok) return { status: "error", message: reply.error.message };
  const result = reply.result;
  if (!result || !("status" in result)) return { status: "error", message: "The answer was not understood." };
  if (result.status === "ok" && !isOk(result))
    return { status: "error", message: "The answer was not understood." };
  return result;
}

function getSourceTextOf(collab: CollabClient, cellId: string) {
  return getSourceText(collab.doc, cellId);
}

function newRequestId(): string {
  return `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export class NotebookController {
  readonly store: NotebookStore;
  private connection: KernelConnection;
  private saving: Promise<boolean> | null = null;
  private autosaveTimer: ReturnType<typeof setTimeout> | null = null;
  private draftTimer: ReturnType<typeof setTimeout> | null = null;
  private isDisposed = false;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;
  private dialog: TDialog = null;
  private dialogListeners = new Set<() => void>();
  private pending = new Map<string, (reply: TReply | null) => void>();
  private cleanups: (() => void)[] = [];
  /** The shared document; null for a page that cannot co-edit (no signed-in user). */
  readonly collab: CollabClient | null;
  /** The store's cells as last written to the shared document, to push only what changed. */
  private pushed = new Map<string, TCell>();
  private saveWaiters: (() => void)[] = [];
  private isApplyingShared = false;

  private constructor(
    readonly notebookId: string,
    readonly projectId: string,
    /** For the breadcrumb; null when the project could not be read. */
    readonly projectName: string | null,
    notebook: TNotebook,
    doc: TNotebookDocument,
    user: { id: string; name: string } | null,
  ) {
    this.store = new NotebookStore(notebook, {
      name: doc.name,
      version: doc.version,
      permissions: doc.permissions,
      kernelStatus: "unknown",
      connection: "connecting",
    });
    this.store.setAllStatus(doc.cellStatus ?? {});
    this.store.setAllExecution(doc.cellExecution ?? {});
    this.collab = user
      ? new CollabClient(notebookId, user, doc.permissions.edit, {
          send: (frame) => this.connection.sendBinary(frame),
          onSynced: () => this.onSynced(),
          onSaved: (version) => this.onSaved(version),
          onRefused: (reason) => this.notify(reason),
        })
      : null;
    this.connection = new KernelConnection(notebookId, {
      onEvent: (event) => this.handleEvent(event),
      onConnection: (connection) =>
        this.store.setMeta({
          connection,
          ...(this.collab?.isSynced ? { coediting: connection === "open" ? "live" : "offline" } : {}),
        }),
      onBinary: (frame) => this.collab?.receive(frame),
      onOpen: () => this.collab?.onOpen(),
      onClose: () => this.collab?.onClose(),
    });
    // While others' changes are applied, the editors' models change and tell the store; those are
    // not this page's edits and must not be written back (a half-applied text would undo theirs).
    this.collab?.doc.on("beforeTransaction", (transaction) => {
      if (transaction.origin === REMOTE || transaction.origin === DRAFT) this.isApplyingShared = true;
    });
    this.collab?.doc.on("afterTransaction", (transaction) => {
      const origin = transaction.origin;
      if (origin !== REMOTE && origin !== DRAFT) return;
      this.isApplyingShared = false;
      if (this.collab?.isSynced) this.pullShared();
    });
  }

  /** True once the page edits through the shared document (after its first sync). */
  isCoediting(): boolean {
    return this.collab?.isSynced === true;
  }

  private syncWaiters: (() => void)[] = [];

  /** Resolves once the page has the shared document, or after `timeoutMs`. */
  private whenSynced(timeoutMs: number): Promise<void> {
    if (this.collab?.isSynced) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.syncWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onSynced(): void {
    const collab = this.collab!;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
    // Edits typed between the page's load and the first sync go in as changes; otherwise the
    // page takes the shared document (it may hold typing newer than the page's load).
    if (this.store.canEdit() && this.store.getEditCount() > 0) {
      applyNotebook(collab.doc, this.sharedOfStore(), LOCAL);
      this.rememberPushed();
    } else {
      this.pullShared();
    }
    bindExistingModels(this);
    this.store.setMeta({ coediting: this.connection.isOpen() ? "live" : "offline" });
    if (collab.hasDraft()) this.notify("Edits this browser kept from before were merged into the notebook.");
    this.updatePresence(this.store.getActiveId(), null);
  }

  private sharedOfStore() {
    const notebook = this.store.getNotebook();
    return {
      cells: notebook.cells.map(toSharedCell),
      metadata: notebook.metadata as Record<string, unknown>,
    };
  }

  private rememberPushed(): void {
    this.pushed = new Map(this.store.getNotebook().cells.map((cell) => [cell.id, cell]));
  }

  /** The shared document changed from outside this page: show it. */
  private pullShared(): void {
    if (!this.collab) return;
    const next = mergeShared(this.store.getNotebook(), readNotebook(this.collab.doc));
    this.store.replaceNotebook(next);
    this.rememberPushed();
  }

  /** This page's edits (insert, delete, move, type, find and replace, typing) into the shared document. */
  private pushEdits(): void {
    if (!this.collab || !this.store.canEdit() || this.isApplyingShared) return;
    const notebook = this.store.getNotebook();
    const changed = new Set<string>();
    for (const cell of notebook.cells) if (this.pushed.get(cell.id) !== cell) changed.add(cell.id);
    applyNotebook(this.collab.doc, this.sharedOfStore(), LOCAL, changed);
    this.rememberPushed();
  }

  private onSaved(version: number): void {
    if (!this.collab) return;
    if (!this.store.canEdit()) {
      this.store.setMeta({ version });
      return;
    }
    if (this.collab.isSaved()) {
      this.store.markSaved(this.store.getEditCount(), version);
      const waiters = this.saveWaiters;
      this.saveWaiters = [];
      for (const resolve of waiters) resolve();
    } else {
      this.store.setMeta({ version });
    }
  }

  /** Says which cell this person is in and where their cursor is (others see it). */
  updatePresence(cellId: string | null, cursor: { anchor: number; head: number } | null): void {
    const collab = this.collab;
    if (!collab?.isSynced) return;
    const text = cellId ? getSourceTextOf(collab, cellId) : undefined;
    collab.setPresence(cellId, cursor, text);
  }

  /** Loads a notebook (with what the caller may do on it) and its project's name. */
  static async load(projectId: string, notebookId: string): Promise<NotebookController> {
    const [doc, project, me] = await Promise.all([
      apiClient("getNotebook", { params: { id: notebookId } }),
      apiClient("getProject", { params: { id: projectId } }).catch(() => ({ name: undefined })),
      apiClient("getMe", {}).catch(() => null),
    ]);
    const controller = new NotebookController(
      notebookId,
      doc.projectId,
      project.name ?? null,
      parseDocument(doc),
      doc,
      me ? { id: me.id, name: me.name } : null,
    );
    controller.offerDraft(doc.version);
    return controller;
  }

  /** Starts the socket, autosave, drafts and the close-tab warning. */
  start(): void {
    // React may stop and start the same controller (development's double effects).
    this.isDisposed = false;
    this.connection.connect();
    this.cleanups.push(
      this.store.subscribeEdits(() => {
        if (this.isCoediting()) this.pushEdits();
        this.scheduleDraft();
        // With the shared document the server saves; REST saves are for pages without one.
        if (!this.collab) this.scheduleAutosave();
      }),
      this.store.subscribeUi(() => {
        if (this.store.getMode() !== "edit") this.updatePresence(this.store.getActiveId(), null);
      }),
    );
    const beforeUnload = (event: BeforeUnloadEvent) => {
      this.flushDraft();
      if (this.store.isDirty() || this.saving) {
        event.preventDefault();
        // Older browsers need returnValue set to show the "leave site?" prompt.
        event.returnValue = "";
      }
    };
    const pageHide = () => this.flushDraft();
    window.addEventListener("beforeunload", beforeUnload);
    window.addEventListener("pagehide", pageHide);
    this.cleanups.push(() => {
      window.removeEventListener("beforeunload", beforeUnload);
      window.removeEventListener("pagehide", pageHide);
    });
  }

  /**
   * Leaves the notebook (the person followed a link inside Flint). Edits not yet saved are saved
   * now rather than waiting in a local draft: the request outlives the page, and the draft is
   * cleared when it lands. Without this, edits typed less than the autosave delay before
   * leaving were only in this browser, and the next visit asked whether to restore them.
   */
  dispose(): void {
    this.flushDraft();
    this.isDisposed = true;
    for (const cleanup of this.cleanups) cleanup();
    this.cleanups = [];
    if (this.autosaveTimer) clearTimeout(this.autosaveTimer);
    this.autosaveTimer = null;
    if (this.isCoediting()) this.collab?.requestSave();
    else if (this.store.isDirty() && this.dialog === null) void this.save();
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.connection.close();
    this.collab?.dispose();
    for (const resolve of this.pending.values()) resolve(null);
    this.pending.clear();
  }

  // ---- dialogs ----

  getDialog = (): TDialog => this.dialog;
  subscribeDialog = (listener: () => void): (() => void) => {
    this.dialogListeners.add(listener);
    return () => this.dialogListeners.delete(listener);
  };
  private setDialog(dialog: TDialog): void {
    this.dialog = dialog;
    for (const listener of this.dialogListeners) listener();
  }

  notify(message: string): void {
    this.store.setMeta({ notice: message });
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => this.store.setMeta({ notice: null }), NOTICE_MS);
  }

  // ---- drafts ----

  private offerDraft(serverVersion: number): void {
    const draft = readDraft(this.notebookId);
    if (!draft) return;
    if (!this.store.canEdit() || !draftDiffers(draft, this.store.getNotebook())) {
      clearDrafts(this.notebookId);
      return;
    }
    this.setDialog({ kind: "draft", draft, serverVersion });
  }

  restoreDraft(): void {
    if (this.dialog?.kind !== "draft") return;
    const { draft } = this.dialog;
    this.setDialog(null);
    this.store.replaceNotebook(applyDraft(draft, this.store.getNotebook()), { isEdit: true });
    this.store.markAllUnsaved();
  }

  discardDraft(): void {
    clearDrafts(this.notebookId);
    this.setDialog(null);
  }

  private scheduleDraft(): void {
    if (this.draftTimer) return;
    this.draftTimer = setTimeout(() => this.flushDraft(), DRAFT_DELAY_MS);
  }

  private flushDraft(): void {
    if (this.draftTimer) {
      clearTimeout(this.draftTimer);
      this.draftTimer = null;
    }
    if (this.isCoediting()) {
      this.collab?.writeDraft();
      return;
    }
    if (this.store.isDirty() && this.store.canEdit()) {
      writeDraft(this.notebookId, this.store.getMeta().version, this.store.getNotebook());
    }
  }

  // ---- saving ----

  private scheduleAutosave(): void {
    if (this.autosaveTimer) clearTimeout(this.autosaveTimer);
    this.autosaveTimer = setTimeout(() => {
      this.autosaveTimer = null;
      void this.save();
    }, AUTOSAVE_DELAY_MS);
  }

  /**
   * Renames the notebook at once (its own request, not part of a document save: a name another
   * notebook of the project has is refused without holding up the edits). The header shows the
   * new name while the request runs and the old one again if it is refused.
   * @throws ApiError with the server's reason (e.g. 409: the name is taken).
   */
  async rename(name: string): Promise<void> {
    const trimmed = name.trim();
    const previous = this.store.getMeta().name;
    if (!trimmed || trimmed === previous || !this.store.canEdit()) return;
    this.store.setMeta({ name: trimmed });
    try {
      const renamed = await apiClient("renameNotebook", {
        params: { id: this.notebookId },
        body: { name: trimmed },
      });
      this.store.setMeta({ name: renamed.name });
    } catch (error) {
      this.store.setMeta({ name: previous });
      throw error;
    }
  }

  /**
   * Saves unsaved edits, based on the version they were loaded or last saved at. Resolves true
   * when every edit made before the call is saved: edits made while the save is in flight (the
   * cell Shift+Enter inserts below the one it runs) are saved by the next autosave and must not
   * fail this one. A save while one is in flight waits for it and then saves what is left.
   */
  async save(): Promise<boolean> {
    if (!this.store.canEdit()) return true;
    if (this.collab) return await this.saveShared();
    const target = this.store.getEditCount();
    if (this.autosaveTimer) {
      clearTimeout(this.autosaveTimer);
      this.autosaveTimer = null;
    }
    while (this.saving) await this.saving;
    if (this.store.isSavedThrough(target)) return true;
    if (this.dialog?.kind === "conflict") return false;
    this.saving = this.saveOnce();
    let isSaved: boolean;
    try {
      isSaved = await this.saving;
    } finally {
      this.saving = null;
    }
    // Edits made during the save still need one; their own autosave timer may have been cleared above.
    if (isSaved && this.store.isDirty() && !this.autosaveTimer && !this.isDisposed) this.scheduleAutosave();
    return isSaved && this.store.isSavedThrough(target);
  }

  /**
   * Asks the server to save the shared document now and waits until it holds everything this
   * page has (Ctrl+S, leaving). Offline, the edits wait in the page and its local draft.
   */
  private async saveShared(): Promise<boolean> {
    const collab = this.collab!;
    // Right after the page loads the document may still be on its way: what the page shows is
    // what it loaded, saved, unless the person already typed (then wait for the sync a moment).
    if (!collab.isSynced) {
      if (!this.store.isDirty()) return true;
      await this.whenSynced(SHARED_SAVE_TIMEOUT_MS);
    }
    if (collab.isSynced && collab.isSaved()) {
      this.store.markSaved(this.store.getEditCount(), this.store.getMeta().version);
      return true;
    }
    this.flushDraft();
    if (!collab.isSynced || !collab.requestSave()) {
      this.store.setMeta({ saveState: "unsaved" });
      return false;
    }
    this.store.setMeta({ saveState: "saving", saveError: null });
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), SHARED_SAVE_TIMEOUT_MS);
      this.saveWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private async saveOnce(): Promise<boolean> {
    const editCount = this.store.getEditCount();
    const meta = this.store.getMeta();
    this.store.setMeta({ saveState: "saving", saveError: null });
    try {
      const saved = await apiClient("saveNotebook", {
        params: { id: this.notebookId },
        body: {
          version: meta.version,
          notebook: toSaveBody(this.store.getNotebook()),
        },
      });
      this.store.markSaved(editCount, saved.version);
      if (this.store.isDirty()) writeDraft(this.notebookId, saved.version, this.store.getNotebook());
      else clearDrafts(this.notebookId);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        const currentVersion =
          typeof error.body.currentVersion === "number" ? error.body.currentVersion : null;
        this.flushDraft();
        this.store.setMeta({ saveState: "conflict", saveError: error.message });
        this.setDialog({ kind: "conflict", message: error.message, currentVersion, diff: null });
        return false;
      }
      // No answer at all (status 0) is not the server's refusal: the edits wait in this browser.
      const message =
        error instanceof ApiError && error.status !== 0
          ? error.message
          : "Could not reach the server; your edits are kept in this browser.";
      this.flushDraft();
      this.store.setMeta({ saveState: "error", saveError: message });
      return false;
    }
  }

  private async fetchServerCopy(): Promise<{ doc: TNotebookDocument; notebook: TNotebook }> {
    const doc = await apiClient("getNotebook", { params: { id: this.notebookId } });
    return { doc, notebook: parseDocument(doc) };
  }

  /** Conflict choice: take the server's version and drop local edits. */
  async reloadFromServer(): Promise<void> {
    const { doc, notebook } = await this.fetchServerCopy();
    this.store.replaceNotebook(notebook);
    this.store.setAllStatus(doc.cellStatus ?? {});
    this.store.setAllExecution(doc.cellExecution ?? {});
    this.store.markSaved(this.store.getEditCount(), doc.version);
    this.store.setMeta({ name: doc.name });
    clearDrafts(this.notebookId);
    this.setDialog(null);
  }

  /** Conflict choice: save this page's notebook over the server's current version. */
  async overwrite(): Promise<boolean> {
    let version = this.dialog?.kind === "conflict" ? this.dialog.currentVersion : null;
    if (version === null) version = (await this.fetchServerCopy()).doc.version;
    this.setDialog(null);
    this.store.setMeta({ version });
    this.store.markAllUnsaved();
    return await this.save();
  }

  /** Conflict choice: compare the server's cells with this page's. */
  async showDiff(): Promise<void> {
    if (this.dialog?.kind !== "conflict") return;
    const { doc, notebook } = await this.fetchServerCopy();
    const diff = diffNotebookCells(notebook.cells, this.store.getNotebook().cells);
    this.setDialog({ ...this.dialog, currentVersion: doc.version, diff });
  }

  closeConflict(): void {
    if (this.dialog?.kind === "conflict") this.setDialog(null);
  }

  // ---- running ----

  private send(command: TClientCommand): boolean {
    if (this.connection.send(command)) return true;
    // The server ended the socket for good: queueing would only wait for a refusal.
    const { connection } = this.store.getMeta();
    if (connection === "signedOut" || connection === "forbidden") {
      this.notify(
        connection === "signedOut"
          ? "You were signed out; sign in again to run cells."
          : "You no longer have access to this notebook.",
      );
      return false;
    }
    // Not connected (yet): the command goes out as soon as the socket opens.
    this.connection.sendOrQueue(command);
    this.connection.retryNow();
    this.notify("Connecting to the kernel: the command will be sent once connected.");
    return true;
  }

  /**
   * Runs cells: saves first, because the broker runs the saved source. The save covers every
   * edit made before the call, so the run uses what the editor held when the key was pressed,
   * whatever other saves are in flight or edits follow.
   */
  async run(ids: string[]): Promise<void> {
    const codeIds = ids.filter((id) => this.store.getCell(id)?.cell_type === "code");
    if (codeIds.length === 0) return;
    if (!this.store.canRun()) {
      this.notify("Your role in this project can read this notebook but not run it.");
      return;
    }
    // Co-editing: the broker runs the shared document's source, which has every key sent so far
    // (frames on one socket arrive in order), so nothing needs saving first.
    if (this.store.canEdit() && this.store.isDirty() && !this.collab) {
      const isSaved = await this.save();
      if (!isSaved) {
        this.notify("The notebook could not be saved, so nothing was run: the kernel runs the saved code.");
        return;
      }
    }
    // A request id makes the broker answer, so a refused run (a role change, say) is shown.
    if (!this.send({ type: "run", requestId: newRequestId(), cellIds: codeIds })) return;
    for (const id of codeIds) this.store.setStatus(id, "queued");
  }

  async runAll(): Promise<void> {
    await this.run(this.store.getCellIds());
  }

  async runAbove(id: string | null = this.store.getActiveId()): Promise<void> {
    const ids = this.store.getCellIds();
    const index = id ? ids.indexOf(id) : -1;
    if (index > 0) await this.run(ids.slice(0, index));
  }

  async runBelow(id: string | null = this.store.getActiveId()): Promise<void> {
    const ids = this.store.getCellIds();
    const index = id ? ids.indexOf(id) : -1;
    if (index >= 0) await this.run(ids.slice(index));
  }

  interrupt(): void {
    this.send({ type: "interrupt", requestId: newRequestId() });
  }

  restart(): void {
    if (this.send({ type: "restart", requestId: newRequestId() }))
      this.store.setMeta({ kernelStatus: "restarting" });
  }

  /**
   * Runs the notebook on another of Flint's kernels: the server saves it as the notebook's
   * kernelspec and restarts a running kernel as the new kind (its variables are lost; outputs
   * stay). Every open page then hears the new kernel from the broker.
   * @throws ApiError with the server's reason (403 without the right, 400 for an unknown kernel).
   */
  async changeKernel(name: TKernelName): Promise<void> {
    const { kernelStatus } = this.store.getMeta();
    const hasKernel = kernelStatus !== "not started" && kernelStatus !== "unknown" && kernelStatus !== "dead";
    if (hasKernel) this.store.setMeta({ kernelStatus: "restarting" });
    try {
      await apiClient("setNotebookKernel", { params: { id: this.notebookId }, body: { name } });
    } catch (error) {
      if (hasKernel) this.store.setMeta({ kernelStatus });
      throw error;
    }
  }

  /** Stops the kernel (its variables are gone; outputs stay): frees it for the person's other notebooks. */
  shutdown(): void {
    this.send({ type: "shutdown", requestId: newRequestId() });
  }

  async restartAndRunAll(): Promise<void> {
    if (!this.send({ type: "restart", requestId: newRequestId() })) return;
    this.store.setMeta({ kernelStatus: "restarting" });
    // The broker queues commands behind the restart, so the run starts on the fresh kernel.
    await this.runAll();
  }

  /** Hides the notice about how the last run stopped (in this page; a new run also ends it). */
  dismissRunStop(): void {
    this.store.setMeta({ runStop: null });
  }

  clearOutputs(ids?: string[]): void {
    if (!this.store.canRun()) return;
    if (this.send({ type: "clearOutputs", ...(ids ? { cellIds: ids } : {}) }))
      this.store.clearOutputsLocal(ids);
  }

  /**
   * One page of a live table, sorted and filtered in the kernel. Always resolves: a failure is
   * a result with a message for the person (no connection, no kernel, the table is gone).
   */
  async pageTable(request: Omit<TTablePageCommand, "type" | "requestId">): Promise<TTablePageResult> {
    const reply = await this.request(
      { type: "tablePage", requestId: newRequestId(), ...request },
      LIVE_TIMEOUT_MS,
    );
    return readLiveReply(reply, (result) => "rows" in result) as TTablePageResult;
  }

  /** The Vega-Lite spec of a `%chart` line, computed in the kernel without running a cell. */
  async previewChart(command: string): Promise<TChartPreviewResult> {
    const reply = await this.request(
      { type: "chartPreview", requestId: newRequestId(), command },
      LIVE_TIMEOUT_MS,
    );
    return readLiveReply(reply, (result) => "spec" in result) as TChartPreviewResult;
  }

  private request(
    command: TClientCommand & { requestId: string },
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<TReply | null> {
    return new Promise<TReply | null>((resolve) => {
      if (!this.connection.send(command)) {
        resolve(null);
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(command.requestId);
        resolve(null);
      }, timeoutMs);
      this.pending.set(command.requestId, (reply) => {
        clearTimeout(timer);
        this.pending.delete(command.requestId);
        resolve(reply);
      });
    });
  }

  /** Completions at a UTF-16 offset of `code`; the range comes back in UTF-16 offsets too. */
  async complete(cellId: string, code: string, offset: number): Promise<TCompletion | null> {
    const cursorPos = utf16OffsetToCodePoints(code, offset);
    let result: TCompleteResult | null = null;
    // "Not available" mostly means the kernel is still answering the previous request (typing
    // `.` then more letters sends two): ask again a few times before giving up.
    for (let attempt = 0; attempt < COMPLETE_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, COMPLETE_RETRY_MS));
      const reply = await this.request({
        type: "complete",
        requestId: newRequestId(),
        cellId,
        code,
        cursorPos,
      });
      if (!reply?.ok || !reply.result || !("matches" in reply.result)) return null;
      if (reply.result.isAvailable) {
        result = reply.result;
        break;
      }
    }
    if (!result) return null;
    const experimental = result.metadata._jupyter_types_experimental;
    const typeByText = new Map<string, string>();
    if (Array.isArray(experimental)) {
      for (const entry of experimental) {
        if (
          entry &&
          typeof entry === "object" &&
          typeof entry.text === "string" &&
          typeof entry.type === "string"
        ) {
          typeByText.set(entry.text, entry.type);
        }
      }
    }
    return {
      matches: result.matches,
      types: result.matches.map((match) => typeByText.get(match)),
      start: codePointsToUtf16Offset(code, result.cursorStart),
      end: codePointsToUtf16Offset(code, result.cursorEnd),
    };
  }

  /** Help for the name at a UTF-16 offset (Shift+Tab): plain text, ANSI allowed. */
  async inspect(code: string, offset: number): Promise<string | null> {
    const reply = await this.request({
      type: "inspect",
      requestId: newRequestId(),
      code,
      cursorPos: utf16OffsetToCodePoints(code, offset),
      detailLevel: 0,
    });
    if (!reply?.ok || !reply.result || !("found" in reply.result)) return null;
    if (!reply.result.isAvailable) return "The kernel is busy or not started: no help right now.";
    if (!reply.result.found) return null;
    const text = reply.result.data["text/plain"];
    return typeof text === "string" ? text : Array.isArray(text) ? text.join("") : null;
  }

  /** Re-reads outputs from the server when an outputs event does not fit (a missed event). */
  private async refreshOutputs(): Promise<void> {
    try {
      const { doc, notebook } = await this.fetchServerCopy();
      for (const cell of notebook.cells) {
        if (cell.cell_type === "code") this.store.applyOutputs(cell.id, cell.outputs, cell.execution_count);
      }
      this.store.setAllStatus(doc.cellStatus ?? {});
      this.store.setAllExecution(doc.cellExecution ?? {});
    } catch {
      // The next event or a reload catches up.
    }
  }

  private handleEvent(event: TServerEvent): void {
    switch (event.type) {
      case "kernel":
        this.store.setMeta({
          kernelStatus: event.status,
          ...(event.choice ? { kernelChoice: event.choice } : {}),
        });
        if (event.status === "dead" && event.detail) this.notify(event.detail);
        return;
      case "snapshot":
        this.store.setMeta({
          kernelStatus: event.kernel.status,
          runStop: event.runStop ?? null,
          ...(event.kernel.choice ? { kernelChoice: event.kernel.choice } : {}),
        });
        for (const cell of event.cells) {
          const current = this.store.getCell(cell.cellId);
          if (current?.cell_type !== "code") continue;
          this.store.applyOutputs(cell.cellId, cell.outputs ?? current.outputs, cell.executionCount);
          if (cell.execution !== undefined) this.store.setExecution(cell.cellId, cell.execution);
        }
        this.store.setAllStatus(Object.fromEntries(event.cells.map((cell) => [cell.cellId, cell.status])));
        return;
      case "cell": {
        if (event.execution !== undefined) this.store.setExecution(event.cellId, event.execution);
        this.store.setStatus(event.cellId, event.status);
        const current = this.store.getCell(event.cellId);
        if (event.executionCount !== undefined && current?.cell_type === "code") {
          this.store.applyOutputs(event.cellId, current.outputs, event.executionCount);
        }
        return;
      }
      case "outputs": {
        const current = this.store.getCell(event.cellId);
        if (current?.cell_type !== "code") return;
        try {
          this.store.applyOutputs(event.cellId, applyOutputChanges(current.outputs, event), undefined);
        } catch {
          void this.refreshOutputs();
        }
        return;
      }
      case "runStop":
        this.store.setMeta({ runStop: event.stop });
        return;
      case "reply": {
        const waiting = this.pending.get(event.requestId);
        if (waiting) waiting(event);
        else if (!event.ok) this.notify(event.error.message);
        return;
      }
    }
  }
}
