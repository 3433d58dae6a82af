"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { apiClient, type TResponse } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

type TProject = TResponse<"getProject">;

/** A project's name, description and archived state; saving updates the project's page in place. */
export function SettingsPanel({ project }: { project: TProject }) {
  const queryClient = useQueryClient();
  const saving = useMutation({
    mutationFn: (changes: Partial<Pick<TProject, "name" | "description" | "archived">>) =>
      apiClient("updateProject", { params: { id: project.id }, body: changes }),
    onSuccess: (saved) => {
      queryClient.setQueryData(queryKeys.project(project.id), (shown: TProject | undefined) =>
        shown ? { ...shown, ...saved } : saved,
      );
      void queryClient.invalidateQueries({ queryKey: queryKeys.projects(), exact: true });
    },
  });
  const save = (changes: Partial<Pick<TProject, "name" | "description" | "archived">>) =>
    saving.mutate(changes);
  const message = saving.isSuccess ? "Saved." : saving.error ? saving.error.message : null;
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
