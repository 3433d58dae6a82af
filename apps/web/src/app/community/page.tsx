"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Form from "next/form";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { AppShell } from "@/components/app-shell";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

function CommunityView() {
  // The search lives in the URL (`?q=&sort=`), so the form is a plain GET form: sent before the
  // page hydrates it is an ordinary navigation, and a search can be linked to.
  const params = useSearchParams();
  const query = params.get("q")?.trim() ?? "";
  const sort = params.get("sort") === "stars" ? "stars" : "recent";
  // null while loading; `searched` is the query the items answer (the last ones stay shown while
  // the next search runs).
  const search = { sort, ...(query ? { q: query } : {}) } as const;
  const listing = useQuery({
    queryKey: queryKeys.community(sort, query),
    queryFn: async () => ({
      items: (await apiClient("listCommunity", { query: search })).items,
      searched: query,
    }),
    placeholderData: keepPreviousData,
  });
  const items = listing.data?.items ?? null;
  const searched = listing.data?.searched ?? "";
  const error = listing.error ? `Published work could not be loaded: ${listing.error.message}` : null;
  return (
    <>
      <h1 className="text-2xl font-semibold">Community</h1>
      <p className="mt-1 text-slate-600">
        Notebooks and charts people chose to publish. Anyone can read them; signed-in users star and fork.
      </p>
      <search className="mt-6">
        {/* Uncontrolled fields (keyed by the URL's values, so a new URL shows in them): what a
            person types before hydration is kept, and the form reads it when sent. */}
        <Form action="/community" className="flex flex-wrap gap-2">
          <input
            key={query}
            name="q"
            defaultValue={query}
            className="input max-w-md"
            placeholder="Search published work"
            aria-label="Search the community"
          />
          <select
            key={sort}
            name="sort"
            aria-label="Sort by"
            className="input w-40"
            defaultValue={sort}
            onChange={(event) => event.currentTarget.form?.requestSubmit()}
          >
            <option value="recent">Most recent</option>
            <option value="stars">Most stars</option>
          </select>
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
      {items === null && !error && <p className="mt-6 text-sm text-slate-500">Loading…</p>}
      {items?.length === 0 && (
        <p className="mt-6 text-sm text-slate-500">
          {searched
            ? `Nothing published matches "${searched}".`
            : "Nothing is published yet. Publish a notebook from its project's list, or a chart from its own page."}
        </p>
      )}
      <ul className="mt-6 grid gap-4 sm:grid-cols-2" aria-label="Published work">
        {(items ?? []).map((item) => (
          <li key={`${item.type}-${item.id}`}>
            <Link
              href={`/community/${item.type}s/${item.id}`}
              className="card block p-4 hover:border-brand-500"
            >
              <span className="text-xs uppercase tracking-wide text-slate-500">{item.type}</span>
              <h2 className="font-medium">{item.title}</h2>
              <p className="mt-1 line-clamp-2 text-sm text-slate-600">{item.description}</p>
              <p className="mt-2 text-xs text-slate-500">
                {item.author} · {item.projectName} · ★ {item.stars}
              </p>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}

export default function CommunityPage() {
  return (
    <AppShell>
      <Suspense>
        <CommunityView />
      </Suspense>
    </AppShell>
  );
}
