"use client";
import { type FormEvent, useState } from "react";
import { type ApiError, apiFetch } from "@/lib/api";

interface TProject {
  id: string;
  name: string;
  description: string;
  archived: boolean;
}

export function SettingsPanel({
  project,
  onChange,
}: {
  project: TProject;
  onChange: (project: TProject) => void;
}) {
  const [message, setMessage] = useState<string | null>(null);
  const save = async (changes: Partial<Pick<TProject, "name" | "description" | "archived">>) => {
    try {
      onChange(
        await apiFetch<TProject>(`/api/v1/projects/${project.id}`, { method: "PATCH", json: changes }),
      );
      setMessage("Saved.");
    } catch (err) {
      setMessage((err as ApiError).message);
    }
  };
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void save({ name: String(form.get("name")), description: String(form.get("description")) });
  };
  return (
    <div className="space-y-4">
      <form onSubmit={submit} className="card space-y-3 p-4" aria-label="Project settings">
        <label className="block text-sm">
          <span className="mb-1 block font-medium">Name</span>
          <input name="name" defaultValue={project.name} required maxLength={120} className="input" />
        </label>
        <label className="block text-sm">
          <span className="mb-1 block font-medium">Description</span>
          <textarea
            name="description"
            defaultValue={project.description}
            rows={3}
            maxLength={5000}
            className="input"
          />
        </label>
        <button type="submit" className="btn-primary">
          Save
        </button>
      </form>
      <div className="card flex items-center justify-between p-4">
        <div>
          <p className="font-medium">
            {project.archived ? "This project is archived" : "Archive this project"}
          </p>
          <p className="text-sm text-slate-600">
            Archived projects stay readable; unarchive to work in them again.
          </p>
        </div>
        <button type="button" className="btn-secondary" onClick={() => save({ archived: !project.archived })}>
          {project.archived ? "Unarchive" : "Archive"}
        </button>
      </div>
      {message && (
        <p role="status" className="text-sm text-slate-600">
          {message}
        </p>
      )}
    </div>
  );
}
