// How outputs reach the kernel without running a cell: a table's pages, sorts and filters, and
// the chart builder's live preview. Null where nobody may make the kernel work (published pages,
// viewers): those see what the saved output holds, the table's first page.
import { createContext, useContext } from "react";
import type { NotebookController } from "@/lib/notebook/controller";

/** The controller's live-output requests. */
export type TLiveOutputs = Pick<NotebookController, "pageTable" | "previewChart">;

export const LiveOutputsContext = createContext<TLiveOutputs | null>(null);

/** The kernel requests of the surrounding notebook, or null when outputs are read-only here. */
export function useLiveOutputs(): TLiveOutputs | null {
  return useContext(LiveOutputsContext);
}
