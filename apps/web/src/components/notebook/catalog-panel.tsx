// The notebook's Data panel: the project's catalog assets, searchable, each with "Insert"
// buttons that put its load code in a new cell below the active one. Only this project's assets
// are offered: a notebook's kernel calls the catalog with a token limited to its project. The
// code goes through `flint.catalog`, so the run checks the user's rights again.
"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { TAssetSummary } from "@/components/catalog/types";
import { apiClient } from "@/lib/api";
import { fetchSnippet, insertCodeCell, type TSnippetForm } from "@/lib/catalog/insert";
import type { NotebookStore } from "@/lib/notebook/store";
import { queryKeys } from "@/lib/query-keys";
import { useDebouncedValue } from "@/lib/use-debounced-value";

const SEARCH_DELAY_MS = 200;
const FORM_LABELS: Record<TSnippetForm, string> = { spark: "Spark", pandas: "pandas", sql: "SQL" };

export function CatalogPanel({
  projectId,
  store,
  onInserted,
}: {
  projectId: string;
  store: NotebookStore;
  onInserted: (cellId: string) => void;
}) {
  const [query, setQuery] = useState("");
  const searched = useDebouncedValue(query.trim(), query ? SEARCH_DELAY_MS : 0);
  const listing = useQuery({
    queryKey: queryKeys.notebookCatalog(projectId, searched),
    queryFn: () =>
      searched
        ? apiClient("searchAssets", { query: { q: searched, limit: 20 } }).then((answer) =>
            answer.items.filter((hit) => hit.projectId === projectId),
          )
        : apiClient("listAssets", { query: { projectId } }).then((answer) => answer.assets),
    // The last list stays while the next search runs.
    placeholderData: keepPreviousData,
  });
  const assets = listing.data ?? null;
  const [insertError, setError] = useState<string | null>(null);
  const error = insertError ?? listing.error?.message ?? null;

  const insert = async (asset: TAssetSummary, form: TSnippetForm) => {
    try {
      const source = await fetchSnippet(asset.id, form);
      const id = insertCodeCell(store, source, store.getActiveId());
      if (id) onInserted(id);
      else setError("Your role in this project cannot edit this notebook.");
    } catch (caught) {
      setError((caught as Error).message);
    }
  };

  return (
    <aside aria-label="Data" className="nb-toc">
      <h2 className="mb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">Data</h2>
      <input
        type="search"
        className="input mb-2 w-full text-sm"
        placeholder="Search the catalog"
        aria-label="Search the catalog from the notebook"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
      />
      {error && (
        <p role="alert" className="mb-2 text-xs text-red-700">
          {error}
        </p>
      )}
      {assets?.length === 0 && (
        <p className="text-xs text-slate-500">
          {query ? "No dataset matches." : "This project has no datasets yet. "}
          {!query && (
            <Link href="/catalog" className="text-brand-700 hover:underline">
              Add one in the catalog
            </Link>
          )}
        </p>
      )}
      <ul aria-label="Datasets" className="space-y-2">
        {(assets ?? []).map((asset) => (
          <li key={asset.id} className="rounded border border-slate-200 p-2">
            <Link
              href={`/catalog/assets/${asset.id}`}
              className="block truncate text-sm font-medium text-brand-700"
            >
              {asset.name}
            </Link>
            <p className="truncate text-xs text-slate-500" title={asset.description}>
              {asset.kind} · {asset.format} · {asset.columnCount} columns
            </p>
            <fieldset className="mt-1 flex gap-1" aria-label={`Insert ${asset.name}`}>
              {(Object.keys(FORM_LABELS) as TSnippetForm[]).map((form) => (
                <button
                  key={form}
                  type="button"
                  className="rounded border border-slate-200 px-1.5 py-0.5 text-xs hover:bg-slate-100"
                  title={`Insert code that loads ${asset.name} (${FORM_LABELS[form]}) below the active cell`}
                  onClick={() => void insert(asset, form)}
                >
                  {FORM_LABELS[form]}
                </button>
              ))}
            </fieldset>
          </li>
        ))}
      </ul>
    </aside>
  );
}
