"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { AppShell } from "@/components/app-shell";
import { DeploymentsOverview } from "@/components/deployments/deployments-overview";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

function DeploymentsPage() {
  const { projectId } = useParams<{ projectId: string }>();
  const { data: project, error } = useQuery({
    queryKey: queryKeys.project(projectId),
    queryFn: () => apiClient("getProject", { params: { id: projectId } }),
  });
  if (error)
    return (
      <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
        {error.message}
      </p>
    );
  if (!project) return <p className="text-slate-500">Loading…</p>;
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
        <Link href="/" className="hover:underline">
          Projects
        </Link>{" "}
        /{" "}
        <Link href={`/projects/${projectId}`} className="hover:underline">
          {project.name}
        </Link>{" "}
        / Deployments
      </nav>
      <h1 className="mb-6 text-2xl font-semibold">Deployments</h1>
      <DeploymentsOverview projectId={projectId} mayManage={project.permissions.manageDeployments} />
    </>
  );
}

export default function Page() {
  return (
    <AppShell>
      <DeploymentsPage />
    </AppShell>
  );
}
