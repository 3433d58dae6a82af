"use client";
// "Fork": copy a notebook into a project of yours, or into a new project created in the same
// step (the API does both in one transaction), so someone without a project can fork too.
import { type FormEvent, useId, useState } from "react";
import { Modal } from "@/components/ui/modal";
import { apiClient } from "@/lib/api";

export interface TForkProject {
  id: string;
  name: string;
}

/**
 * The fork dialog. `projects` are those the user may create notebooks in; with none, the
 * dialog offers only a new project.
 */
export function ForkDialog({
  notebookId,
  notebookName,
  projects,
  onClose,
}: {
  notebookId: string;
  notebookName: string;
  projects: readonly TForkProject[];
  onClose: () => void;
}) {
  const titleId = useId();
  const [target, setTarget] = useState<"existing" | "new">(projects.length > 0 ? "existing" : "new");
  const [projectId, setProjectId] = useState(projects[0]?.id ?? "");
  const [projectName, setProjectName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [isForking, setForking] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setForking(true);
    try {
      const copy = await apiClient("forkNotebook", {
        params: { id: notebookId },
        body: target === "new" ? { newProject: { name: projectName } } : { projectId },
      });
      window.location.assign(`/projects/${copy.projectId}/notebooks/${copy.id}`);
    } catch (err) {
      setError((err as Error).message);
      setForking(false);
    }
  };
  return (
    <Modal labelledBy={titleId} onClose={onClose} isBusy={isForking} className="w-full max-w-md p-5">
      <form onSubmit={submit} className="space-y-4">
        <h2 id={titleId} className="text-lg font-semibold">
          Fork {notebookName}
        </h2>
        <p className="text-sm text-slate-600">
          Your copy keeps the code and outputs and links back to this notebook.
        </p>
        {projects.length > 0 ? (
          <fieldset className="space-y-2">
            <legend className="sr-only">Where the copy goes</legend>
            <label className="flex items-center gap-2 text-sm">
              <input
                type="radio"
                name="target"
                checked={target === "existing"}
                onChange={() => setTarget("existing")}
              />
              Into one of my projects
            </label>
            {target === "existing" && (
              <select
                className="input ml-6 w-auto"
                aria-label="Fork into project"
                value={projectId}
                onChange={(event) => setProjectId(event.target.value)}
              >
                {projects.map((project) => (
                  <option key={project.id} value={project.id}>
                    {project.name}
                  </option>
                ))}
              </select>
            )}
            <label className="flex items-center gap-2 text-sm">
              <input
                type="radio"
                name="target"
                checked={target === "new"}
                onChange={() => setTarget("new")}
              />
              Into a new project
            </label>
          </fieldset>
        ) : (
          <p className="text-sm text-slate-600">
            You have no project to fork into yet: the copy goes into a new project of yours.
          </p>
        )}
        {target === "new" && (
          <label className="block text-sm">
            <span className="mb-1 block font-medium">New project's name</span>
            <input
              className="input"
              required
              maxLength={120}
              value={projectName}
              onChange={(event) => setProjectName(event.target.value)}
            />
          </label>
        )}
        {error && (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
            {error}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn-secondary" onClick={onClose} disabled={isForking}>
            Cancel
          </button>
          <button type="submit" className="btn-primary" disabled={isForking}>
            {target === "new" ? "Create project and fork" : "Fork"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
