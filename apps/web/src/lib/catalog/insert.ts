// "Insert into notebook" for catalog assets: the snippet of an asset in a language, put into a
// new code cell. Shared by the notebook's Data panel and the asset page's hand-over (the asset
// page opens the notebook with `?insertAsset=<id>&form=<form>`, and the notebook inserts it).
import { apiClient } from "@/lib/api";
import type { NotebookStore } from "@/lib/notebook/store";

/** The languages an asset's load snippet comes in. */
export const SNIPPET_FORMS = ["spark", "pandas", "sql"] as const;
export type TSnippetForm = (typeof SNIPPET_FORMS)[number];

/** Reads a `form` query value; anything unknown means Spark (the default of the issue). */
export function parseSnippetForm(value: string | null): TSnippetForm {
  return (SNIPPET_FORMS as readonly string[]).includes(value ?? "") ? (value as TSnippetForm) : "spark";
}

/** The asset's load code in `form`, from the API (which checks the caller may read the asset). */
export async function fetchSnippet(assetId: string, form: TSnippetForm): Promise<string> {
  const asset = await apiClient("getAsset", { params: { id: assetId } });
  return asset.snippets[form];
}

/**
 * Inserts a code cell with `source` below `afterId` (or at the end) and selects it in command
 * mode, so Shift+Enter runs it. Returns the new cell's id, or null when the user may not edit.
 */
export function insertCodeCell(store: NotebookStore, source: string, afterId: string | null): string | null {
  const id = store.insert("below", afterId ?? null, "code");
  if (!id) return null;
  store.setSource(id, source);
  store.setMode("command");
  store.select(id);
  return id;
}
