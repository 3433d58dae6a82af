"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { AppShell } from "@/components/app-shell";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { useIsHydrated } from "@/lib/use-is-hydrated";

export default function HomePage() {
  const projectsQuery = useQuery({
    queryKey: queryKeys.projects(),
    queryFn: () => apiClient("listProjects"),
  });
  const projects = projectsQuery.data?.projects ?? null;
  const [createError, setError] = useState<string | null>(null);
  const error = createError ?? projectsQuery.error?.message ?? null;
  const [isCreating, setCreating] = useState(false);
  const isHydrated = useIsHydrated();
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      const project = await apiClient("createProject", {
        body: { name: String(form.get("name")), description: String(form.get("description") ?? "") },
      });
      window.location.assign(`/projects/${project.id}`);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <AppShell>
      <div className="mb-6 flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Projects</h1>
        <button
          type="button"
          className="btn-primary"
          disabled={!isHydrated}
          onClick={() => setCreating(true)}
        >
          New project
        </button>
      </div>
      {error && (
        <p role="alert" className="mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {isCreating && (
        <form onSubmit={create} className="card mb-6 space-y-3 p-4" aria-label="New project">
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Name</span>
            {/* biome-ignore lint/a11y/noAutofocus: the form opens on a click to type a name: the caret belongs there. */}
            <input name="name" required maxLength={120} className="input" autoFocus />
          </label>
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Description</span>
            <textarea name="description" rows={2} maxLength={5000} className="input" />
          </label>
          <div className="flex gap-2">
            <button type="submit" className="btn-primary">
              Create project
            </button>
            <button type="button" className="btn-secondary" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {projects === null && !error && <p className="text-slate-500">Loading projects…</p>}
      {projects?.length === 0 && !isCreating && (
        <div className="card p-10 text-center">
          <h2 className="text-lg font-medium">No projects yet</h2>
          <p className="mt-1 text-slate-600">A project holds a team's notebooks, data assets and charts.</p>
          <button type="button" className="btn-primary mt-4" onClick={() => setCreating(true)}>
            Create your first project
          </button>
        </div>
      )}
      <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {projects?.map((project) => (
          <li key={project.id}>
            <Link href={`/projects/${project.id}`} className="card block h-full p-4 hover:border-brand-500">
              <h2 className="font-medium">{project.name}</h2>
              <p className="mt-1 line-clamp-2 text-sm text-slate-600">
                {project.description || "No description"}
              </p>
              <p className="mt-3 text-xs text-slate-500">
                {project.notebookCount} notebook{project.notebookCount === 1 ? "" : "s"} · {project.role}
              </p>
            </Link>
          </li>
        ))}
      </ul>
    </AppShell>
  );
}
