"use client";
import { useState } from "react";
import type { TProjectOption } from "./types";

/**
 * The projects a user may add catalog assets to (editor or admin), and the one picked: the first
 * by default, also when the list arrives after the dialog opened.
 */
export function useWritableProjects(projects: TProjectOption[]): {
  writable: TProjectOption[];
  projectId: string;
  setProjectId: (id: string) => void;
} {
  const writable = projects.filter((project) => project.role === "editor" || project.role === "admin");
  const [picked, setProjectId] = useState("");
  return { writable, projectId: picked || writable[0]?.id || "", setProjectId };
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
