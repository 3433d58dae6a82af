"use client";
import { type ReactNode, useState } from "react";
import type { TProjectOption } from "./types";

/** The user's projects as the catalog page fetches them: the dialogs may open before they arrive. */
export type TProjectsLoad =
  | { status: "loading" }
  | { status: "failed"; message: string }
  | { status: "loaded"; projects: TProjectOption[] };

/**
 * The projects a user may add catalog assets to (editor or admin), and the one picked: the first
 * by default, also when the list arrives after the dialog opened.
 */
export function useWritableProjects(load: TProjectsLoad): {
  writable: TProjectOption[];
  projectId: string;
  setProjectId: (id: string) => void;
} {
  const projects = load.status === "loaded" ? load.projects : [];
  const writable = projects.filter((project) => project.permissions.writeCatalog);
  const [picked, setProjectId] = useState("");
  return { writable, projectId: picked || writable[0]?.id || "", setProjectId };
}

/**
 * Shows the dialog's fields once there is a project to add to; until then says why not: the list
 * is still loading, it could not be loaded, or the user is no editor or admin anywhere.
 */
export function WritableProjectGate({
  load,
  hasWritable,
  children,
}: {
  load: TProjectsLoad;
  hasWritable: boolean;
  children: ReactNode;
}) {
  if (load.status === "loading")
    return (
      <p role="status" className="text-sm text-slate-600">
        Loading your projects…
      </p>
    );
  if (load.status === "failed")
    return (
      <p role="alert" className="text-sm text-red-700">
        Your projects could not be loaded ({load.message}). Reload the page to try again.
      </p>
    );
  if (!hasWritable)
    return (
      <p className="text-sm text-slate-600">You need the editor or admin role in a project to add data.</p>
    );
  return <>{children}</>;
}

/** The "Project" field of the catalog's dialogs. */
export function ProjectSelect({
  projects,
  value,
  onChange,
}: {
  projects: TProjectOption[];
  value: string;
  onChange: (id: string) => void;
}) {
  return (
    <label className="block text-sm">
      Project
      <select className="input mt-1" value={value} onChange={(event) => onChange(event.target.value)}>
        {projects.map((project) => (
          <option key={project.id} value={project.id}>
            {project.name}
          </option>
        ))}
      </select>
    </label>
  );
}
