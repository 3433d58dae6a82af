"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useState } from "react";
import { AppShell } from "@/components/app-shell";
import { ColumnProfileRow } from "@/components/catalog/column-profile";
import { DescriptionTagsFields } from "@/components/catalog/description-tags-fields";
import { formatBytes, formatCount } from "@/components/catalog/format";
import { InsertIntoNotebookDialog } from "@/components/catalog/insert-into-notebook-dialog";
import { SnippetTabs } from "@/components/catalog/snippet-tabs";
import type { TAsset, TLineageEntry } from "@/components/catalog/types";
import { BatchScoreLineage } from "@/components/models/batch-score";
import { TrainedOnAsset } from "@/components/models/trained-on-asset";
import { type ApiError, apiClient } from "@/lib/api";
import type { TSnippetForm } from "@/lib/catalog/insert";
import { queryKeys } from "@/lib/query-keys";

function Lineage({ title, entries }: { title: string; entries: TLineageEntry[] }) {
  return (
    <div>
      <h3 className="text-sm font-semibold text-slate-700">{title}</h3>
      {entries.length === 0 ? (
        <p className="text-sm text-slate-500">No notebook yet.</p>
      ) : (
        <ul className="mt-1 space-y-1 text-sm">
          {entries.map((entry) => (
            <li key={entry.notebookId}>
              <Link
                href={`/projects/${entry.projectId}/notebooks/${entry.notebookId}`}
                className="text-brand-700 hover:underline"
              >
                {entry.notebookName}
              </Link>{" "}
              <span className="text-xs text-slate-500">
                {entry.count}× · last {new Date(entry.lastAt).toLocaleString()}
                {entry.user && ` by ${entry.user.name}`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function DescriptionEditor({ asset, onSaved }: { asset: TAsset; onSaved: (asset: TAsset) => void }) {
  const [isEditing, setEditing] = useState(false);
  const [description, setDescription] = useState(asset.description);
  const [tags, setTags] = useState(asset.tags.join(", "));
  const [error, setError] = useState<string | null>(null);
  if (!isEditing) {
    return (
      <div className="mt-2">
        <p className="whitespace-pre-wrap text-slate-700">
          {asset.description || <span className="text-slate-400">No description.</span>}
        </p>
        {asset.canEdit && (
          <button type="button" className="btn-secondary mt-2" onClick={() => setEditing(true)}>
            Edit description and tags
          </button>
        )}
      </div>
    );
  }
  const save = async () => {
    try {
      const updated = await apiClient("updateAsset", {
        params: { id: asset.id },
        body: {
          description,
          tags: tags
            .split(",")
            .map((tag) => tag.trim())
            .filter(Boolean),
        },
      });
      onSaved(updated);
      setEditing(false);
    } catch (caught) {
      setError((caught as Error).message);
    }
  };
  return (
    <div className="mt-2 space-y-2">
      <DescriptionTagsFields
        description={description}
        onDescriptionChange={setDescription}
        tags={tags}
        onTagsChange={setTags}
      />
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      <div className="flex gap-2">
        <button type="button" className="btn-primary" onClick={save}>
          Save
        </button>
        <button type="button" className="btn-secondary" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function AssetView() {
  const { assetId } = useParams<{ assetId: string }>();
  const router = useRouter();
  const queryClient = useQueryClient();
  const assetQuery = useQuery({
    queryKey: queryKeys.asset(assetId),
    queryFn: () => apiClient("getAsset", { params: { id: assetId } }),
    // Follow a queued or running profile until it ends.
    refetchInterval: (query) => {
      const status = query.state.data?.latestProfile?.status;
      return status === "queued" || status === "running" ? 2000 : false;
    },
  });
  const asset = assetQuery.data ?? null;
  const [actionError, setError] = useState<string | null>(null);
  const error = actionError ?? assetQuery.error?.message ?? null;
  const [insertForm, setInsertForm] = useState<TSnippetForm | null>(null);
  const load = () => queryClient.invalidateQueries({ queryKey: queryKeys.asset(assetId) });
  if (error) {
    return (
      <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
        {error}
      </p>
    );
  }
  if (!asset) return <p className="text-slate-500">Loading…</p>;
  const profile = asset.latestProfile;
  const result = profile?.status === "done" ? profile.result : null;
  const reprofile = async () => {
    await apiClient("profileAsset", { params: { id: asset.id } }).catch((caught: ApiError) =>
      setError(caught.message),
    );
    await load();
  };
  const remove = async () => {
    if (!window.confirm(`Remove ${asset.name} from the catalog?`)) return;
    await apiClient("deleteAsset", { params: { id: asset.id } }).then(
      () => {
        queryClient.removeQueries({ queryKey: queryKeys.asset(asset.id) });
        void queryClient.invalidateQueries({ queryKey: queryKeys.catalogSearchAll() });
        router.push("/catalog");
      },
      (caught: ApiError) => setError(caught.message),
    );
  };
  return (
    <article className="space-y-6">
      <header>
        <p className="text-sm text-slate-500">
          <Link href="/catalog" className="hover:underline">
            Catalog
          </Link>{" "}
          /{" "}
          <Link href={`/projects/${asset.projectId}`} className="hover:underline">
            {asset.projectName}
          </Link>
        </p>
        <div className="mt-1 flex flex-wrap items-center gap-2">
          <h1 className="text-2xl font-semibold">{asset.name}</h1>
          <span className="rounded bg-slate-100 px-1.5 text-xs text-slate-600">
            {asset.kind} · {asset.format}
          </span>
          {asset.tags.map((tag) => (
            <Link
              key={tag}
              href={`/catalog?${new URLSearchParams({ q: `tag:${tag}` })}`}
              className="rounded bg-brand-50 px-1.5 text-xs text-brand-700"
            >
              #{tag}
            </Link>
          ))}
          {asset.canEdit && (
            <span className="ml-auto flex gap-2">
              <button type="button" className="btn-secondary" onClick={reprofile}>
                Profile again
              </button>
              <button type="button" className="btn-secondary" onClick={remove}>
                Remove
              </button>
            </span>
          )}
        </div>
        <p className="mt-1 font-mono text-xs text-slate-500">{asset.qualifiedName}</p>
        <p className="mt-1 text-sm text-slate-600">
          {formatCount(asset.rowCount)} rows · {asset.columns.length} columns · {formatBytes(asset.sizeBytes)}
          {asset.owner && ` · owner ${asset.owner.name}`} · used {asset.usage30d}× in 30 days
          {asset.connection &&
            ` · via ${asset.connection.name} (${asset.connection.host}:${asset.connection.port}/${asset.connection.database})`}
        </p>
        <DescriptionEditor
          asset={asset}
          onSaved={(updated) => {
            queryClient.setQueryData(queryKeys.asset(assetId), updated);
            void queryClient.invalidateQueries({ queryKey: queryKeys.catalogSearchAll() });
          }}
        />
      </header>

      <section aria-labelledby="insert-title">
        <h2 id="insert-title" className="mb-2 text-lg font-semibold">
          Insert into notebook
        </h2>
        <SnippetTabs snippets={asset.snippets} onInsert={setInsertForm} />
        {insertForm && (
          <InsertIntoNotebookDialog
            projectId={asset.projectId}
            assetId={asset.id}
            assetName={asset.name}
            form={insertForm}
            onClose={() => setInsertForm(null)}
          />
        )}
      </section>

      <section aria-labelledby="profile-title">
        <h2 id="profile-title" className="mb-2 text-lg font-semibold">
          Profile
        </h2>
        {!profile && <p className="text-sm text-slate-500">Not profiled yet.</p>}
        {profile && (profile.status === "queued" || profile.status === "running") && (
          <div data-testid="profile-status" className="card p-4">
            <p className="text-sm">
              {profile.status === "queued" ? "Queued" : "Running"}: {profile.message}
              {profile.status === "queued" && profile.queuePosition !== null && (
                <span data-testid="profile-queue-place">
                  {" "}
                  ({describeQueuePlace(profile.queuePosition, profile.estimatedStartSeconds)})
                </span>
              )}
            </p>
            <div
              role="progressbar"
              aria-label="Profiling progress"
              aria-valuenow={Math.round(profile.progress * 100)}
              aria-valuemin={0}
              aria-valuemax={100}
              className="mt-2 h-2 overflow-hidden rounded bg-slate-200"
            >
              <div
                className="h-full bg-brand-600"
                style={{ width: `${Math.round(profile.progress * 100)}%` }}
              />
            </div>
          </div>
        )}
        {profile?.status === "failed" && (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
            Profiling failed: {profile.error}
          </p>
        )}
        {result && (
          <div className="card overflow-x-auto p-4">
            <p data-testid="profile-status" className="mb-2 text-sm text-slate-600">
              {result.isSampled
                ? `Statistics from a sample of ${formatCount(result.profiledRows)} of ${formatCount(result.rowCount)} rows`
                : `Statistics used all ${formatCount(result.rowCount)} rows`}
              {profile?.finishedAt && ` · ${new Date(profile.finishedAt).toLocaleString()}`}
            </p>
            <table className="w-full text-left">
              <thead className="text-xs uppercase text-slate-500">
                <tr>
                  <th className="pr-3">Column</th>
                  <th className="pr-3">Nulls</th>
                  <th className="pr-3">Distinct ≈</th>
                  <th className="pr-3">Statistics</th>
                  <th>Distribution</th>
                </tr>
              </thead>
              <tbody>
                {result.columns.map((column) => (
                  <ColumnProfileRow key={column.name} column={column} rows={result.profiledRows} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="schema-title">
        <h2 id="schema-title" className="mb-2 text-lg font-semibold">
          Schema
        </h2>
        <table className="card w-full text-left text-sm">
          <thead className="text-xs uppercase text-slate-500">
            <tr>
              <th className="px-3 py-2">Column</th>
              <th className="px-3 py-2">Type</th>
              <th className="px-3 py-2">Description</th>
            </tr>
          </thead>
          <tbody>
            {asset.columns.map((column) => (
              <tr key={column.name} className="border-t border-slate-100">
                <td className="px-3 py-1.5 font-medium">{column.name}</td>
                <td className="px-3 py-1.5 font-mono text-xs">{column.dataType}</td>
                <td className="px-3 py-1.5 text-slate-600">{column.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {result && result.preview.rows.length > 0 && (
        <section aria-labelledby="preview-title">
          <h2 id="preview-title" className="mb-2 text-lg font-semibold">
            Preview
          </h2>
          <div className="card overflow-x-auto">
            <table className="w-full text-left text-xs" aria-label="Preview rows">
              <thead className="bg-slate-50">
                <tr>
                  {result.preview.columns.map((name) => (
                    <th key={name} className="px-2 py-1 font-medium">
                      {name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {result.preview.rows.map((row, rowIndex) => (
                  <tr key={rowIndex} className="border-t border-slate-100">
                    {row.map((value, index) => (
                      <td key={index} className="whitespace-nowrap px-2 py-1">
                        {value ?? <span className="text-slate-400">null</span>}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      <section aria-labelledby="lineage-title" className="grid gap-4 sm:grid-cols-2">
        <h2 id="lineage-title" className="sr-only">
          Lineage
        </h2>
        <Lineage title="Used by" entries={asset.lineage.readBy} />
        <Lineage title="Produced by" entries={asset.lineage.writtenBy} />
        <TrainedOnAsset projectId={asset.projectId} assetId={asset.id} />
        <BatchScoreLineage projectId={asset.projectId} assetId={asset.id} />
      </section>
    </article>
  );
}

export default function AssetPage() {
  return (
    <AppShell>
      <AssetView />
    </AppShell>
  );
}

/** "next in line, starts in about 20 s", "4th in line, starts in about 2 min". */
function describeQueuePlace(position: number, seconds: number | null): string {
  const place = position === 1 ? "next in line" : `${position}${ordinalSuffix(position)} in line`;
  if (seconds === null) return place;
  const when = seconds < 90 ? `${Math.max(1, Math.round(seconds))} s` : `${Math.round(seconds / 60)} min`;
  return `${place}, starts in about ${when}`;
}

function ordinalSuffix(value: number): string {
  const lastTwo = value % 100;
  if (lastTwo >= 11 && lastTwo <= 13) return "th";
  return ["th", "st", "nd", "rd"][value % 10] ?? "th";
}
