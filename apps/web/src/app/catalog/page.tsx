"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Form from "next/form";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { AppShell } from "@/components/app-shell";
import { ConnectionDialog } from "@/components/catalog/connection-dialog";
import { formatBytes, formatCount } from "@/components/catalog/format";
import type { TProjectsLoad } from "@/components/catalog/project-select";
import type { TFacetValue, TSearchResponse } from "@/components/catalog/types";
import { UploadDialog } from "@/components/catalog/upload-dialog";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { useIsHydrated } from "@/lib/use-is-hydrated";

const FACETS: { key: keyof TSearchResponse["facets"]; label: string; filter: string }[] = [
  { key: "kind", label: "Kind", filter: "kind" },
  { key: "format", label: "Format", filter: "format" },
  { key: "tag", label: "Tags", filter: "tag" },
  { key: "owner", label: "Owner", filter: "owner" },
  { key: "project", label: "Project", filter: "project" },
];

/** Quotes a filter value that has spaces (`project:"Team A"`). */
function filterToken(filter: string, value: string): string {
  return /\s/.test(value) ? `${filter}:"${value}"` : `${filter}:${value}`;
}

function FacetList({
  title,
  filter,
  values,
  query,
  onPick,
}: {
  title: string;
  filter: string;
  values: TFacetValue[];
  query: string;
  onPick: (next: string) => void;
}) {
  if (values.length === 0) return null;
  return (
    <section aria-label={`${title} facet`} className="mb-4">
      <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</h3>
      <ul className="space-y-0.5">
        {values.slice(0, 10).map((facet) => {
          const token = filterToken(filter, facet.value);
          const isOn = query.split(/\s+/).includes(token);
          return (
            <li key={facet.value}>
              <button
                type="button"
                aria-pressed={isOn}
                className={`flex w-full justify-between rounded px-2 py-0.5 text-left text-sm ${isOn ? "bg-brand-50 font-medium" : "hover:bg-slate-100"}`}
                onClick={() =>
                  onPick(
                    isOn ? query.replace(token, "").replace(/\s+/g, " ").trim() : `${query} ${token}`.trim(),
                  )
                }
              >
                <span className="truncate">{facet.label}</span>
                <span className="text-slate-500">{facet.count}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function CatalogView() {
  const router = useRouter();
  const params = useSearchParams();
  const query = params.get("q")?.trim() ?? "";
  const searching = useQuery({
    queryKey: queryKeys.catalogSearch(query),
    queryFn: () => apiClient("searchAssets", { query: { q: query, limit: 50 } }),
    // The last results stay shown while the next search runs.
    placeholderData: keepPreviousData,
  });
  const result = searching.data ?? null;
  const error = searching.error?.message ?? null;
  const projectsQuery = useQuery({
    queryKey: queryKeys.projects(),
    queryFn: () => apiClient("listProjects"),
  });
  const projects: TProjectsLoad = projectsQuery.data
    ? { status: "loaded", projects: projectsQuery.data.projects }
    : projectsQuery.error
      ? { status: "failed", message: projectsQuery.error.message }
      : { status: "loading" };
  const [isUploading, setUploading] = useState(false);
  const [isConnecting, setConnecting] = useState(false);
  const isHydrated = useIsHydrated();
  const search = (next: string) =>
    router.push(next ? `/catalog?${new URLSearchParams({ q: next })}` : "/catalog");
  return (
    <>
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">Data catalog</h1>
        <button
          type="button"
          className="btn-secondary ml-auto"
          disabled={!isHydrated}
          onClick={() => setConnecting(true)}
        >
          Connect a database
        </button>
        <button
          type="button"
          className="btn-primary"
          disabled={!isHydrated}
          onClick={() => setUploading(true)}
        >
          Upload data
        </button>
      </div>
      <p className="mt-1 text-slate-600">
        Datasets Spark can read in your projects. Try words, <code>col:email</code>, <code>tag:finance</code>,{" "}
        <code>owner:me</code>, <code>kind:table</code>.
      </p>
      <search className="mt-4">
        {/* A GET form to this page (the query lives in `?q=`): sent before the page hydrates it is
            an ordinary navigation. The field is uncontrolled, keyed by the URL's query so a facet
            click shows in it, and what a person types before hydration is kept. */}
        <Form action="/catalog" className="flex gap-2">
          <input
            key={query}
            type="search"
            name="q"
            defaultValue={query}
            className="input max-w-xl"
            placeholder="Search datasets, columns, descriptions"
            aria-label="Search query"
          />
          <button type="submit" className="btn-primary">
            Search
          </button>
        </Form>
      </search>
      {error && (
        <p role="alert" className="mt-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {result && (
        <div className="mt-6 grid gap-6 md:grid-cols-[12rem_1fr]">
          <aside aria-label="Filters">
            {FACETS.map((facet) => (
              <FacetList
                key={facet.key}
                title={facet.label}
                filter={facet.filter}
                values={result.facets[facet.key]}
                query={query}
                onPick={search}
              />
            ))}
          </aside>
          <div>
            {result.correctedQuery && (
              <p className="mb-3 text-sm text-slate-700" data-testid="corrected-query">
                Showing results for <strong>{result.correctedQuery}</strong> (nothing matched “{query}”).
              </p>
            )}
            <p className="mb-2 text-sm text-slate-500" aria-live="polite">
              {result.isTotalCapped ? `${result.total}+` : result.total}{" "}
              {result.total === 1 ? "dataset" : "datasets"}
              {result.columnSearch.length > 0 && ` with a column named ${result.columnSearch.join(", ")}`}
            </p>
            <ul className="space-y-3" aria-label="Search results">
              {result.items.length === 0 && (
                <li className="card p-6 text-center text-sm text-slate-600">
                  Nothing matches. Upload a file, or check the spelling and filters.
                </li>
              )}
              {result.items.map((item) => (
                <li key={item.id} className="card p-4">
                  <div className="flex flex-wrap items-baseline gap-2">
                    <Link
                      href={`/catalog/assets/${item.id}`}
                      className="font-medium text-brand-700 hover:underline"
                    >
                      {item.name}
                    </Link>
                    <span className="rounded bg-slate-100 px-1.5 text-xs text-slate-600">
                      {item.kind} · {item.format}
                    </span>
                    <span className="text-xs text-slate-500">{item.projectName}</span>
                  </div>
                  {item.description && (
                    <p className="mt-1 line-clamp-2 text-sm text-slate-700">{item.description}</p>
                  )}
                  {item.matchedColumns.length > 0 && (
                    <p className="mt-1 text-sm" data-testid="matched-columns">
                      <span className="text-slate-500">Columns: </span>
                      {item.matchedColumns.map((column, index) => (
                        <span key={column.name}>
                          {index > 0 && ", "}
                          <mark className="rounded bg-amber-100 px-0.5">{column.name}</mark>
                          <span className="text-xs text-slate-500"> {column.dataType}</span>
                        </span>
                      ))}
                    </p>
                  )}
                  <p className="mt-1 text-xs text-slate-500">
                    {formatCount(item.rowCount)} rows · {item.columnCount} columns ·{" "}
                    {formatBytes(item.sizeBytes)}
                    {item.owner && ` · ${item.owner.name}`}
                    {item.tags.length > 0 && ` · ${item.tags.map((tag) => `#${tag}`).join(" ")}`}
                  </p>
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
      {isConnecting && (
        <ConnectionDialog
          projects={projects}
          onClose={() => setConnecting(false)}
          onRegistered={(assetId) => router.push(`/catalog/assets/${assetId}`)}
        />
      )}
      {isUploading && (
        <UploadDialog
          projects={projects}
          onClose={() => setUploading(false)}
          onUploaded={(asset) => router.push(`/catalog/assets/${asset.id}`)}
        />
      )}
    </>
  );
}

export default function CatalogPage() {
  return (
    <AppShell>
      <Suspense fallback={<p className="text-slate-500">Loading…</p>}>
        <CatalogView />
      </Suspense>
    </AppShell>
  );
}
