"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, useRouter, useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { AppShell } from "@/components/app-shell";
import { JobsPanel } from "@/components/jobs/jobs-panel";
import { ModelsPanel } from "@/components/models/models-panel";
import { ActivityFeed } from "@/components/project/activity-feed";
import { ChartBoard } from "@/components/project/chart-board";
import { FilesPanel } from "@/components/project/files-panel";
import { MembersPanel } from "@/components/project/members-panel";
import { NotebooksPanel } from "@/components/project/notebooks-panel";
import { SettingsPanel } from "@/components/project/settings-panel";
import { TrashPanel } from "@/components/project/trash-panel";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

const TABS = [
  { id: "notebooks", label: "Notebooks" },
  { id: "files", label: "Files" },
  { id: "charts", label: "Charts" },
  { id: "jobs", label: "Jobs" },
  { id: "models", label: "Models", needsAbility: "readModels" },
  { id: "members", label: "Members" },
  { id: "activity", label: "Activity" },
  { id: "trash", label: "Trash" },
  { id: "settings", label: "Settings", needsAbility: "manage" },
] as const;

function ProjectView() {
  const { projectId } = useParams<{ projectId: string }>();
  const params = useSearchParams();
  const router = useRouter();
  const tab = params.get("tab") ?? "notebooks";
  const { data: project, error } = useQuery({
    queryKey: queryKeys.project(projectId),
    queryFn: () => apiClient("getProject", { params: { id: projectId } }),
  });
  if (error) {
    return (
      <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
        {error.message}
      </p>
    );
  }
  if (!project) return <p className="text-slate-500">Loading…</p>;
  // What the caller may do here, as the server says it (never read from the role's name).
  const may = project.permissions;
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
        <Link href="/" className="hover:underline">
          Projects
        </Link>{" "}
        / {project.name}
      </nav>
      <div className="flex items-baseline gap-3">
        <h1 className="text-2xl font-semibold">{project.name}</h1>
        <span className="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-600">{project.role}</span>
        {project.archived && (
          <span className="rounded bg-amber-100 px-2 py-0.5 text-xs text-amber-800">archived</span>
        )}
        <Link
          href={`/projects/${projectId}/deployments`}
          className="ml-auto text-sm text-brand-700 hover:underline"
        >
          Deployments
        </Link>
      </div>
      <p className="mt-1 text-slate-600">{project.description}</p>
      <div
        role="tablist"
        aria-label="Project sections"
        className="mt-6 mb-4 flex gap-1 border-b border-slate-200"
      >
        {TABS.filter((entry) => !("needsAbility" in entry) || may[entry.needsAbility]).map((entry) => (
          <button
            key={entry.id}
            role="tab"
            type="button"
            aria-selected={tab === entry.id}
            className={`-mb-px border-b-2 px-3 py-2 text-sm ${tab === entry.id ? "border-brand-600 font-medium text-slate-900" : "border-transparent text-slate-600 hover:text-slate-900"}`}
            onClick={() => router.replace(`/projects/${projectId}?tab=${entry.id}`)}
          >
            {entry.label}
          </button>
        ))}
      </div>
      <section role="tabpanel" aria-label={TABS.find((entry) => entry.id === tab)?.label ?? "Notebooks"}>
        {tab === "notebooks" && (
          <NotebooksPanel projectId={projectId} canCreate={may.create} canPublish={may.publish} />
        )}
        {tab === "files" && <FilesPanel projectId={projectId} canWrite={may.writeFiles} />}
        {tab === "trash" && <TrashPanel projectId={projectId} canRestore={may.delete} />}
        {tab === "charts" && <ChartBoard projectId={projectId} canEdit={may.editChart} />}
        {tab === "jobs" && <JobsPanel projectId={projectId} />}
        {tab === "models" && may.readModels && <ModelsPanel projectId={projectId} canLog={may.writeModels} />}
        {tab === "members" && <MembersPanel projectId={projectId} canManage={may.manage} />}
        {tab === "activity" && <ActivityFeed projectId={projectId} />}
        {tab === "settings" && may.manage && <SettingsPanel project={project} />}
      </section>
    </>
  );
}

export default function ProjectPage() {
  return (
    <AppShell>
      <Suspense>
        <ProjectView />
      </Suspense>
    </AppShell>
  );
}
