// The notebook page's state: the document (Flint's nbformat model, changed only through the pure
// functions of @flint/notebook), the selection and mode of the Jupyter keyboard model, run status
// per cell, and the kernel and save state. Views subscribe per cell (useSyncExternalStore), so
// typing in one cell re-renders that cell only: edits share every unchanged cell object.
import type { TPermissions } from "@flint/api/contract";
import {
  clearOutputs,
  deleteCells,
  insertCell,
  moveCells,
  newCellId,
  setCellOutputs,
  setCellSource,
  setCellType,
  type TCell,
  type TCellType,
  type TNotebook,
  type TOutput,
} from "@flint/notebook";
import type { TCellExecution, TKernelChoice, TKernelStatus, TRunStop } from "./protocol";

export type TMode = "command" | "edit";
export type TSaveState = "saved" | "saving" | "unsaved" | "error" | "conflict" | "readonly";
/**
 * The notebook socket: `signedOut` when the server closed it because the session or token is gone
 * (4401), `forbidden` when the user lost access to the notebook (4403); neither reconnects.
 */
export type TConnection = "connecting" | "open" | "reconnecting" | "signedOut" | "forbidden";
export type TMeta = {
  name: string;
  version: number;
  /** What the server says the caller may do on this notebook (never read from a role name). */
  permissions: TPermissions;
  saveState: TSaveState;
  saveError: string | null;
  lastSavedAt: number | null;
  kernelStatus: TKernelStatus;
  /**
   * The kernel the notebook has or will start, as the broker says (its saved kernelspec, or the
   * default with a notice when Flint does not offer that one); null until the socket tells.
   */
  kernelChoice: TKernelChoice | null;
  connection: TConnection;
  notice: string | null;
  /** How the latest run of several cells stopped early (the notice above the cells), if it did. */
  runStop: TRunStop | null;
  /**
   * Co-editing: `none` until the page has the shared document, then `live` while its socket is
   * open and `offline` while it is not (edits wait in the page and merge on reconnect).
   */
  coediting: "none" | "live" | "offline";
};

type TListener = () => void;

type TDeleted = { cells: TCell[]; index: number };

const MAX_UNDO_DELETES = 50;

export class NotebookStore {
  private notebook: TNotebook;
  private cellsById = new Map<string, TCell>();
  private ids: string[] = [];
  private status = new Map<string, string>();
  private execution = new Map<string, TCellExecution>();
  private activeId: string | null = null;
  private anchorId: string | null = null;
  private selected = new Set<string>();
  private mode: TMode = "command";
  private meta: TMeta;
  private editCount = 0;
  private savedEditCount = 0;
  private deletedStack: TDeleted[] = [];
  private clipboard: TCell[] = [];
  private cellListeners = new Map<string, Set<TListener>>();
  private orderListeners = new Set<TListener>();
  private metaListeners = new Set<TListener>();
  private docListeners = new Set<TListener>();
  private editListeners = new Set<TListener>();
  private uiListeners = new Set<TListener>();
  private uiVersion = 0;

  constructor(
    notebook: TNotebook,
    meta: Omit<
      TMeta,
      "saveState" | "saveError" | "lastSavedAt" | "notice" | "runStop" | "coediting" | "kernelChoice"
    >,
  ) {
    this.notebook = notebook;
    this.meta = {
      ...meta,
      saveState: meta.permissions.edit ? "saved" : "readonly",
      saveError: null,
      lastSavedAt: null,
      notice: null,
      runStop: null,
      coediting: "none",
      kernelChoice: null,
    };
    this.reindex();
    this.activeId = this.ids[0] ?? null;
    if (this.activeId) this.selected.add(this.activeId);
  }

  // ---- reading ----

  getNotebook = (): TNotebook => this.notebook;
  getCellIds = (): string[] => this.ids;
  getCell = (id: string): TCell | undefined => this.cellsById.get(id);
  getStatus = (id: string): string => this.status.get(id) ?? "";
  /** When the cell's latest run started and ended, and who ran it (undefined: never run). */
  getExecution = (id: string): TCellExecution | undefined => this.execution.get(id);
  getMeta = (): TMeta => this.meta;
  getMode = (): TMode => this.mode;
  getActiveId = (): string | null => this.activeId;
  isDirty = (): boolean => this.editCount !== this.savedEditCount;
  getEditCount = (): number => this.editCount;
  /** True when a save has carried every edit up to `editCount` (see {@link getEditCount}). */
  isSavedThrough = (editCount: number): boolean => this.savedEditCount >= editCount;
  canEdit = (): boolean => this.meta.permissions.edit;
  canRun = (): boolean => this.meta.permissions.run;

  /** Selected ids in notebook order (at least the active cell). */
  getSelectedIds = (): string[] => {
    const ids = this.ids.filter((id) => this.selected.has(id));
    if (ids.length === 0 && this.activeId) return [this.activeId];
    return ids;
  };

  /** A short string per cell for its view: "a" active, "s" selected, "e" editing. */
  getCellUi = (id: string): string => {
    let flags = "";
    if (this.activeId === id) flags += "a";
    if (this.selected.has(id)) flags += "s";
    if (this.activeId === id && this.mode === "edit") flags += "e";
    return flags;
  };

  indexOf = (id: string): number => this.ids.indexOf(id);

  // ---- subscriptions ----

  subscribeCell = (id: string, listener: TListener): (() => void) => {
    let set = this.cellListeners.get(id);
    if (!set) {
      set = new Set();
      this.cellListeners.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.cellListeners.delete(id);
    };
  };
  subscribeOrder = (listener: TListener) => subscribe(this.orderListeners, listener);
  subscribeMeta = (listener: TListener) => subscribe(this.metaListeners, listener);
  /** Any change of the document (sources, types, order, outputs). */
  subscribeDoc = (listener: TListener) => subscribe(this.docListeners, listener);
  /** Selection or mode changed; read with getUiVersion for useSyncExternalStore. */
  subscribeUi = (listener: TListener) => subscribe(this.uiListeners, listener);
  getUiVersion = (): number => this.uiVersion;
  private notifyUi(): void {
    this.uiVersion++;
    for (const listener of this.uiListeners) listener();
  }
  /** A change the user made, which needs saving. */
  subscribeEdits = (listener: TListener) => subscribe(this.editListeners, listener);

  private notifyCells(ids: Iterable<string>): void {
    for (const id of ids) for (const listener of this.cellListeners.get(id) ?? []) listener();
  }

  setMeta(patch: Partial<TMeta>): void {
    let isChanged = false;
    for (const [key, value] of Object.entries(patch)) {
      if (this.meta[key as keyof TMeta] !== value) isChanged = true;
    }
    if (!isChanged) return;
    this.meta = { ...this.meta, ...patch };
    for (const listener of this.metaListeners) listener();
  }

  // ---- the document ----

  private reindex(): void {
    this.cellsById = new Map(this.notebook.cells.map((cell) => [cell.id, cell]));
    this.ids = this.notebook.cells.map((cell) => cell.id);
  }

  /**
   * Replaces the document, notifying only cells whose object changed. `isEdit` marks a change
   * the user made (needs saving); outputs from the broker and reloads are not edits.
   */
  private commit(next: TNotebook, isEdit: boolean): void {
    if (next === this.notebook) return;
    const before = this.notebook;
    this.notebook = next;
    const changed: string[] = [];
    let isOrderChanged = before.cells.length !== next.cells.length;
    for (let i = 0; i < next.cells.length; i++) {
      const cell = next.cells[i]!;
      if (!isOrderChanged && before.cells[i]?.id !== cell.id) isOrderChanged = true;
      if (this.cellsById.get(cell.id) !== cell) changed.push(cell.id);
    }
    if (isOrderChanged) {
      this.reindex();
    } else {
      for (const id of changed) this.cellsById.set(id, next.cells.find((cell) => cell.id === id)!);
    }
    if (isOrderChanged) {
      const present = new Set(this.ids);
      for (const id of [...this.selected]) if (!present.has(id)) this.selected.delete(id);
      if (this.activeId && !present.has(this.activeId)) this.activeId = null;
    }
    if (isEdit) {
      this.editCount++;
      if (this.meta.saveState === "saved" || this.meta.saveState === "error")
        this.setMeta({ saveState: "unsaved" });
    }
    this.notifyCells(changed);
    if (isOrderChanged) for (const listener of this.orderListeners) listener();
    for (const listener of this.docListeners) listener();
    if (isEdit) for (const listener of this.editListeners) listener();
  }

  /** Replaces the whole document (a reload from the server); selection is kept where possible. */
  replaceNotebook(next: TNotebook, opts: { isEdit?: boolean } = {}): void {
    const activeIndex = this.activeId ? this.ids.indexOf(this.activeId) : 0;
    this.commit(next, opts.isEdit ?? false);
    if (!this.activeId || !this.cellsById.has(this.activeId)) {
      const id = this.ids[Math.min(Math.max(activeIndex, 0), this.ids.length - 1)] ?? null;
      this.select(id);
    }
  }

  /** Marks everything up to `editCount` saved (the edits a successful save carried). */
  markSaved(editCount: number, version: number): void {
    this.savedEditCount = editCount;
    this.setMeta({
      version,
      saveState: this.isDirty() ? "unsaved" : "saved",
      saveError: null,
      lastSavedAt: Date.now(),
    });
  }

  /** Marks the document dirty without changing it (a restored draft, an overwrite). */
  markAllUnsaved(): void {
    this.savedEditCount = -1;
    this.setMeta({ saveState: "unsaved" });
    for (const listener of this.editListeners) listener();
  }

  setSource(id: string, source: string): void {
    if (!this.canEdit() || !this.cellsById.has(id)) return;
    this.commit(setCellSource(this.notebook, id, source), true);
  }

  setType(ids: string[], cellType: TCellType): void {
    if (!this.canEdit()) return;
    let next = this.notebook;
    for (const id of ids) if (this.cellsById.has(id)) next = setCellType(next, id, cellType);
    this.commit(next, true);
  }

  /** Inserts a new cell next to `id` (or at the end) and makes it active. */
  insert(
    where: "above" | "below",
    id: string | null = this.activeId,
    cellType: TCellType = "code",
  ): string | null {
    if (!this.canEdit()) return null;
    const index = id ? this.ids.indexOf(id) : -1;
    const at = index === -1 ? this.ids.length : where === "above" ? index : index + 1;
    const newId = newCellId();
    this.commit(insertCell(this.notebook, at, { id: newId, cell_type: cellType }), true);
    this.select(newId);
    return newId;
  }

  /** Deletes cells (remembered for undo) and selects the cell that took their place. */
  delete(ids: string[] = this.getSelectedIds()): void {
    if (!this.canEdit() || ids.length === 0) return;
    const doomed = new Set(ids);
    const indexes = this.ids.map((id, index) => (doomed.has(id) ? index : -1)).filter((i) => i >= 0);
    if (indexes.length === 0) return;
    const first = indexes[0]!;
    const cells = this.notebook.cells.filter((cell) => doomed.has(cell.id));
    this.deletedStack.push({ cells, index: first });
    if (this.deletedStack.length > MAX_UNDO_DELETES) this.deletedStack.shift();
    let next = deleteCells(this.notebook, [...doomed]);
    // Jupyter keeps one cell so there is somewhere to type.
    if (next.cells.length === 0) next = insertCell(next, 0, { cell_type: "code" });
    this.commit(next, true);
    this.select(this.ids[Math.min(first, this.ids.length - 1)] ?? null);
  }

  /** Brings back the last deleted cells where they were. */
  undoDelete(): void {
    const last = this.deletedStack.pop();
    if (!last || !this.canEdit()) return;
    let next = this.notebook;
    const present = new Set(this.ids);
    const restored: TCell[] = last.cells.map((cell) =>
      present.has(cell.id) ? { ...cell, id: newCellId() } : cell,
    );
    const cells = next.cells.slice();
    cells.splice(Math.min(last.index, cells.length), 0, ...restored);
    next = { ...next, cells };
    this.commit(next, true);
    this.selectRange(restored[0]!.id, restored[restored.length - 1]!.id);
  }

  /** Moves the selected cells up or down by one as a block. */
  moveSelection(direction: -1 | 1): void {
    if (!this.canEdit()) return;
    const ids = this.getSelectedIds();
    const indexes = ids.map((id) => this.ids.indexOf(id));
    const first = Math.min(...indexes);
    const last = Math.max(...indexes);
    if ((direction === -1 && first === 0) || (direction === 1 && last === this.ids.length - 1)) return;
    this.commit(moveCells(this.notebook, ids, first + direction), true);
  }

  /** Moves cells so the first of them lands before `beforeId` (or at the end); for drag and drop. */
  moveTo(ids: string[], beforeId: string | null): void {
    if (!this.canEdit()) return;
    const moving = new Set(ids);
    const rest = this.ids.filter((id) => !moving.has(id));
    const at = beforeId === null ? rest.length : rest.indexOf(beforeId);
    if (at === -1) return;
    this.commit(moveCells(this.notebook, ids, at), true);
  }

  copy(ids: string[] = this.getSelectedIds()): void {
    this.clipboard = this.notebook.cells.filter((cell) => ids.includes(cell.id));
  }

  cut(): void {
    const ids = this.getSelectedIds();
    this.copy(ids);
    this.delete(ids);
  }

  hasClipboard = (): boolean => this.clipboard.length > 0;

  /** Pastes copied cells (with new ids, outputs kept) below or above the active cell. */
  paste(where: "above" | "below" = "below"): void {
    if (!this.canEdit() || this.clipboard.length === 0) return;
    const index = this.activeId ? this.ids.indexOf(this.activeId) : this.ids.length - 1;
    const at = where === "above" ? Math.max(index, 0) : index + 1;
    const copies = this.clipboard.map((cell) => ({ ...cell, id: newCellId() }));
    const cells = this.notebook.cells.slice();
    cells.splice(at, 0, ...copies);
    this.commit({ ...this.notebook, cells }, true);
    this.selectRange(copies[0]!.id, copies[copies.length - 1]!.id);
  }

  /** Replaces text in many cells at once (find and replace). */
  replaceSources(changes: Map<string, string>): void {
    if (!this.canEdit()) return;
    let next = this.notebook;
    for (const [id, source] of changes) if (this.cellsById.has(id)) next = setCellSource(next, id, source);
    this.commit(next, true);
  }

  // ---- outputs and run status (from the broker; never an edit) ----

  applyOutputs(id: string, outputs: TOutput[], executionCount: number | null | undefined): void {
    const cell = this.cellsById.get(id);
    if (cell?.cell_type !== "code") return;
    // `undefined`: the count did not change; `null`: it was cleared.
    const count = executionCount === undefined ? cell.execution_count : executionCount;
    this.commit(setCellOutputs(this.notebook, id, outputs, count), false);
  }

  clearOutputsLocal(ids?: string[]): void {
    const known = ids?.filter((id) => this.cellsById.has(id));
    this.commit(clearOutputs(this.notebook, known), false);
    for (const id of known ?? this.ids) {
      this.setExecution(id, null);
      this.setStatus(id, "");
    }
  }

  /** Sets (or with `null` clears) a cell's run times. */
  setExecution(id: string, execution: TCellExecution | null): void {
    const before = this.execution.get(id);
    if (execution === null ? before === undefined : sameExecution(before, execution)) return;
    if (execution) this.execution.set(id, execution);
    else this.execution.delete(id);
    this.notifyCells([id]);
  }

  /** Replaces every cell's run times (a load or reload from the server). */
  setAllExecution(executions: Record<string, TCellExecution>): void {
    const touched = new Set([...this.execution.keys(), ...Object.keys(executions)]);
    this.execution = new Map(Object.entries(executions));
    this.notifyCells(touched);
  }

  setStatus(id: string, status: string): void {
    if ((this.status.get(id) ?? "") === status) return;
    if (status) this.status.set(id, status);
    else this.status.delete(id);
    this.notifyCells([id]);
  }

  setAllStatus(statuses: Record<string, string>): void {
    const touched = new Set([...this.status.keys(), ...Object.keys(statuses)]);
    this.status = new Map(Object.entries(statuses).filter(([, value]) => value));
    this.notifyCells(touched);
  }

  // ---- selection and mode ----

  /** Makes one cell active and the only one selected. */
  select(id: string | null): void {
    const touched = new Set<string>(this.selected);
    if (this.activeId) touched.add(this.activeId);
    this.selected.clear();
    this.activeId = id;
    this.anchorId = id;
    if (id) {
      this.selected.add(id);
      touched.add(id);
    }
    this.notifyCells(touched);
    this.notifyUi();
  }

  /** Selects the cells from `fromId` to `toId` (inclusive), `toId` becoming active. */
  selectRange(fromId: string, toId: string): void {
    const from = this.ids.indexOf(fromId);
    const to = this.ids.indexOf(toId);
    if (from === -1 || to === -1) return;
    const touched = new Set<string>(this.selected);
    if (this.activeId) touched.add(this.activeId);
    this.selected = new Set(this.ids.slice(Math.min(from, to), Math.max(from, to) + 1));
    for (const id of this.selected) touched.add(id);
    this.activeId = toId;
    this.anchorId = fromId;
    this.notifyCells(touched);
    this.notifyUi();
  }

  /** Moves the active cell by `delta`; with `extend`, grows the selection from its anchor. */
  moveActive(delta: number, extend = false): void {
    if (this.ids.length === 0) return;
    const index = this.activeId ? this.ids.indexOf(this.activeId) : 0;
    const target = this.ids[Math.min(Math.max(index + delta, 0), this.ids.length - 1)]!;
    if (extend) this.selectRange(this.anchorId ?? this.activeId ?? target, target);
    else this.select(target);
  }

  selectAll(): void {
    const first = this.ids[0];
    const last = this.ids[this.ids.length - 1];
    if (first && last) this.selectRange(first, last);
  }

  setMode(mode: TMode): void {
    if (mode === "edit" && !this.canEdit()) return;
    if (this.mode === mode) return;
    this.mode = mode;
    if (this.activeId) this.notifyCells([this.activeId]);
    this.notifyUi();
  }
}

function sameExecution(a: TCellExecution | undefined, b: TCellExecution): boolean {
  return (
    a !== undefined &&
    a.startedAt === b.startedAt &&
    a.endedAt === b.endedAt &&
    a.ranBy?.id === b.ranBy?.id &&
    a.ranBy?.name === b.ranBy?.name
  );
}

function subscribe(set: Set<TListener>, listener: TListener): () => void {
  set.add(listener);
  return () => set.delete(listener);
}
