"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { apiClient, type TResponse } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

type TActivity = TResponse<"listMyActivity">["items"][number];

const VERBS: Record<string, string> = {
  "project.created": "created the project",
  "project.updated": "updated the project",
  "notebook.created": "created notebook",
  "notebook.imported": "imported notebook",
  "notebook.edited": "edited notebook",
  "notebook.run": "ran notebook",
  "notebook.checkpoint": "saved a version of",
  "notebook.restored": "restored a version of",
  "notebook.published": "published notebook",
  "notebook.renamed": "renamed notebook",
  "notebook.duplicated": "duplicated notebook",
  "notebook.trashed": "moved to the trash:",
  "notebook.untrashed": "restored from the trash:",
  "notebook.deleted": "deleted for good:",
  "member.added": "added member",
  "member.role_changed": "changed the role of",
  "member.removed": "removed member",
  "chart.saved": "saved chart",
  "chart.published": "published chart",
  "comment.added": "commented on",
};

/** Describes one entry as text only: names are user data and never rendered as HTML. */
function describe(entry: TActivity): string {
  const name = typeof entry.details.name === "string" ? entry.details.name : "";
  const role = typeof entry.details.role === "string" ? ` (${entry.details.role})` : "";
  const verb =
    entry.kind === "notebook.published" && entry.details.republished === true
      ? "republished notebook"
      : (VERBS[entry.kind] ?? entry.kind);
  return entry.kind.startsWith("project.") ? verb : `${verb} ${name}${role}`;
}

/** A paged activity feed, newest first: a project's (`projectId`), else the signed-in person's. */
export function ActivityFeed({ projectId }: { projectId?: string }) {
  const feed = useInfiniteQuery({
    queryKey: queryKeys.activity(projectId ?? null),
    queryFn: ({ pageParam }) => {
      const query = { limit: 20, ...(pageParam ? { before: pageParam } : {}) };
      return projectId
        ? apiClient("listProjectActivity", { params: { id: projectId }, query })
        : apiClient("listMyActivity", { query });
    },
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
  });
  const items = feed.data?.pages.flatMap((page) => page.items) ?? [];
  const isDone = feed.data !== undefined && !feed.hasNextPage;
  return (
    <div>
      <ol className="card divide-y divide-slate-200" aria-label="Activity">
        {items.length === 0 && <li className="p-4 text-sm text-slate-500">Nothing has happened yet.</li>}
        {items.map((entry) => (
          <li
            key={entry.id}
            className="flex items-baseline justify-between gap-4 p-3 text-sm"
            data-testid="activity-entry"
          >
            <span>
              <span className="font-medium">{entry.actor.name}</span> {describe(entry)}
            </span>
            <time className="shrink-0 text-xs text-slate-500" dateTime={entry.createdAt}>
              {new Date(entry.createdAt).toLocaleString()}
            </time>
          </li>
        ))}
      </ol>
      {!isDone && (
        <button type="button" className="btn-secondary mt-3" onClick={() => feed.fetchNextPage()}>
          Show older
        </button>
      )}
    </div>
  );
}
