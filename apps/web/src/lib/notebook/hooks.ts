// React bindings of the notebook store: each hook subscribes to the narrowest slice it needs, so a
// keystroke in one cell re-renders that cell only.
"use client";
import type { TCell } from "@flint/notebook";
import { useCallback, useSyncExternalStore } from "react";
import type { TPeer } from "./collab";
import type { NotebookController, TDialog } from "./controller";
import type { TCellExecution } from "./protocol";
import type { NotebookStore, TMeta } from "./store";

export function useCellIds(store: NotebookStore): string[] {
  return useSyncExternalStore(store.subscribeOrder, store.getCellIds, store.getCellIds);
}

export function useCell(store: NotebookStore, id: string): TCell | undefined {
  const subscribe = useCallback((listener: () => void) => store.subscribeCell(id, listener), [store, id]);
  const read = useCallback(() => store.getCell(id), [store, id]);
  return useSyncExternalStore(subscribe, read, read);
}

export type TCellUi = { isActive: boolean; isSelected: boolean; isEditing: boolean };

export function useCellUi(store: NotebookStore, id: string): TCellUi {
  const subscribe = useCallback((listener: () => void) => store.subscribeCell(id, listener), [store, id]);
  const read = useCallback(() => store.getCellUi(id), [store, id]);
  const flags = useSyncExternalStore(subscribe, read, read);
  return { isActive: flags.includes("a"), isSelected: flags.includes("s"), isEditing: flags.includes("e") };
}

export function useCellStatus(store: NotebookStore, id: string): string {
  const subscribe = useCallback((listener: () => void) => store.subscribeCell(id, listener), [store, id]);
  const read = useCallback(() => store.getStatus(id), [store, id]);
  return useSyncExternalStore(subscribe, read, read);
}

export function useCellExecution(store: NotebookStore, id: string): TCellExecution | undefined {
  const subscribe = useCallback((listener: () => void) => store.subscribeCell(id, listener), [store, id]);
  const read = useCallback(() => store.getExecution(id), [store, id]);
  return useSyncExternalStore(subscribe, read, read);
}

export function useMeta(store: NotebookStore): TMeta {
  return useSyncExternalStore(store.subscribeMeta, store.getMeta, store.getMeta);
}

/**
 * One field of the notebook's meta: the caller re-renders only when that field changes, not on
 * every save-state flip (the first keystroke turns "saved" into "unsaved"). `select` must return
 * a primitive or a reference the store keeps while the field is unchanged.
 */
export function useMetaField<T>(store: NotebookStore, select: (meta: TMeta) => T): T {
  const read = () => select(store.getMeta());
  return useSyncExternalStore(store.subscribeMeta, read, read);
}

/** Re-renders on selection and mode changes. */
export function useUiVersion(store: NotebookStore): number {
  return useSyncExternalStore(store.subscribeUi, store.getUiVersion, store.getUiVersion);
}

export function useDialog(controller: NotebookController): TDialog {
  return useSyncExternalStore(controller.subscribeDialog, controller.getDialog, controller.getDialog);
}

/** A small observable value for view state shared by distant components (find query, panels). */
export class Observable<T> {
  private listeners = new Set<() => void>();
  constructor(private value: T) {}
  get = (): T => this.value;
  set = (value: T): void => {
    if (Object.is(value, this.value)) return;
    this.value = value;
    for (const listener of this.listeners) listener();
  };
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

export function useObservable<T>(observable: Observable<T>): T {
  return useSyncExternalStore(observable.subscribe, observable.get, observable.get);
}

const NO_PEERS: TPeer[] = [];
const noSubscription = () => () => undefined;

/** The other people in the notebook (co-editing presence); empty without a shared document. */
export function usePeers(controller: NotebookController): TPeer[] {
  const collab = controller.collab;
  return useSyncExternalStore(
    collab?.subscribePeers ?? noSubscription,
    collab?.getPeers ?? (() => NO_PEERS),
    () => NO_PEERS,
  );
}
