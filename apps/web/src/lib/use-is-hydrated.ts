"use client";
import { useSyncExternalStore } from "react";

const subscribe = () => () => undefined;

/**
 * False on the server and while the page hydrates, true after. For buttons that only act through
 * React (open a dialog, show a form): rendered disabled until then, since a click before hydration
 * would be lost without a sign. Forms need no such thing (see docs/architecture.md, "Forms").
 */
export function useIsHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
