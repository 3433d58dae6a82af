"use client";
import Link from "next/link";
import { useParams } from "next/navigation";
import { type FormEvent, useEffect, useState } from "react";
import { AppShell } from "@/components/app-shell";
import { type ApiError, apiFetch } from "@/lib/api";

interface TProject {
  id: string;
  name: string;
  description: string;
  role: string;
}
interface TNotebook {
  id: string;
  name: string;
  cellCount: number;
  updatedAt: string;
  lastOpenedAt: string | null;
}

export default function ProjectPage() {
  const { projectId } = useParams<{ projectId: string }>();
  const [project, setProject] = useState<TProject | null>(null);
  const [notebooks, setNotebooks] = useState<TNotebook[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    apiFetch<TProject>(`/api/v1/projects/${projectId}`).then(setProject, (err: ApiError) =>
      setError(err.message),
    );
    apiFetch<{ notebooks: TNotebook[] }>(`/api/v1/projects/${projectId}/notebooks`).then(
      (body) => setNotebooks(body.notebooks),
      () => undefined,
    );
  }, [projectId]);
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      const notebook = await apiFetch<TNotebook>(`/api/v1/projects/${projectId}/notebooks`, {
        method: "POST",
        json: { name: String(form.get("name")) },
      });
      window.location.assign(`/projects/${projectId}/notebooks/${notebook.id}`);
    } catch (err) {
      setError((err as ApiError).message);
    }
  };
  const canCreate = project?.role === "editor" || project?.role === "admin";
  return (
    <AppShell>
      {error && (
        <p role="alert" className="mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {project && (
        <>
          <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
            <Link href="/" className="hover:underline">
              Projects
            </Link>{" "}
            / {project.name}
          </nav>
          <h1 className="text-2xl font-semibold">{project.name}</h1>
          <p className="mt-1 text-slate-600">{project.description}</p>
          <section className="mt-8" aria-labelledby="notebooks-heading">
            <div className="mb-3 flex items-center justify-between">
              <h2 id="notebooks-heading" className="text-lg font-medium">
                Notebooks
              </h2>
              {canCreate && (
                <form onSubmit={create} className="flex gap-2" aria-label="New notebook">
                  <input
                    name="name"
                    required
                    maxLength={200}
                    placeholder="Notebook name"
                    className="input w-56"
                    aria-label="Notebook name"
                  />
                  <button type="submit" className="btn-primary">
                    New notebook
                  </button>
                </form>
              )}
            </div>
            <ul className="card divide-y divide-slate-200">
              {notebooks.length === 0 && <li className="p-4 text-sm text-slate-500">No notebooks yet.</li>}
              {notebooks.map((notebook) => (
                <li key={notebook.id}>
                  <Link
                    href={`/projects/${projectId}/notebooks/${notebook.id}`}
                    className="flex justify-between p-4 hover:bg-slate-50"
                  >
                    <span className="font-medium">{notebook.name}</span>
                    <span className="text-xs text-slate-500">
                      {notebook.cellCount} cells · edited {new Date(notebook.updatedAt).toLocaleString()}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
    </AppShell>
  );
}
