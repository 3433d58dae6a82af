// "Schedule this notebook": makes a job of the notebook (docs/jobs.md). Fields are uncontrolled
// and read with FormData when sent (docs/architecture.md, "Forms work before the page hydrates").
"use client";
import { readParameterInput } from "@flint/notebook";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { apiClient, type TResponse } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { Modal } from "../ui/modal";
import { ParameterFields, readParameterFields } from "./parameter-fields";

type TJob = TResponse<"createJob">;

/** The browser's time zone, the default a schedule is read in. */
function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function ScheduleDialog({
  projectId,
  notebookId,
  notebookName,
  parameterNames,
  onClose,
}: {
  projectId: string;
  notebookId: string;
  notebookName: string;
  /** Names the notebook's `parameters` cell assigns (offered as fields). */
  parameterNames: string[];
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const versions = useQuery({
    queryKey: queryKeys.checkpoints(notebookId),
    queryFn: () => apiClient("listCheckpoints", { params: { id: notebookId } }),
  });
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const [created, setCreated] = useState<TJob | null>(null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    setBusy(true);
    try {
      const text = (name: string) => String(form.get(name) ?? "").trim();
      const job = await apiClient("createJob", {
        body: {
          notebookId,
          name: text("name"),
          checkpointId: text("version") || null,
          cron: text("cron") || null,
          timeZone: text("timeZone") || "UTC",
          parameters: readParameterFields(form, readParameterInput),
          timeoutSeconds: Math.round(Number(text("timeoutMinutes") || "60") * 60),
          retries: Number(text("retries") || "0"),
          notifyOnFailure: form.get("notify") === "on",
        },
      });
      setCreated(job);
      await queryClient.invalidateQueries({ queryKey: queryKeys.projectJobs(projectId) });
    } catch (caught) {
      setError((caught as Error).message);
    }
    setBusy(false);
  };

  return (
    <Modal labelledBy="schedule-title" onClose={onClose} isBusy={isBusy} className="w-[34rem] p-5">
      <h2 id="schedule-title" className="text-lg font-semibold">
        Schedule this notebook
      </h2>
      {created ? (
        <div className="mt-3 space-y-3 text-sm">
          <p role="status">
            Job “{created.name}” is ready.{" "}
            {created.nextRunAt
              ? `Next run: ${new Date(created.nextRunAt).toLocaleString()}.`
              : "It runs when someone presses Run now."}
          </p>
          <div className="flex justify-end gap-2">
            <button type="button" className="btn-secondary" onClick={onClose}>
              Close
            </button>
            <Link className="btn-primary" href={`/projects/${projectId}?tab=jobs&job=${created.id}`}>
              Open in Jobs
            </Link>
          </div>
        </div>
      ) : (
        <form className="mt-3 space-y-3 text-sm" onSubmit={submit}>
          <label className="block">
            <span className="mb-1 block font-medium">Job name</span>
            <input
              name="name"
              className="input w-full"
              defaultValue={notebookName}
              required
              maxLength={200}
            />
          </label>
          <label className="block">
            <span className="mb-1 block font-medium">Notebook version</span>
            <select name="version" className="input w-full" defaultValue="">
              <option value="">Latest saved (as it is when each run starts)</option>
              {versions.data?.checkpoints.map((checkpoint) => (
                <option key={checkpoint.id} value={checkpoint.id}>
                  {checkpoint.name} (version {checkpoint.version})
                </option>
              ))}
            </select>
          </label>
          <div className="flex gap-3">
            <label className="block flex-1">
              <span className="mb-1 block font-medium">Schedule (cron)</span>
              <input
                name="cron"
                className="input w-full font-mono"
                placeholder="0 6 * * 1-5"
                maxLength={100}
              />
              <span className="mt-1 block text-xs text-slate-500">
                minute hour day month weekday; empty: only when run by hand
              </span>
            </label>
            <label className="block w-44">
              <span className="mb-1 block font-medium">Time zone</span>
              <input
                name="timeZone"
                className="input w-full"
                defaultValue={browserTimeZone()}
                maxLength={100}
              />
            </label>
          </div>
          <ParameterFields names={parameterNames} values={{}} />
          <div className="flex gap-3">
            <label className="block">
              <span className="mb-1 block font-medium">Timeout (minutes)</span>
              <input
                name="timeoutMinutes"
                type="number"
                min={1}
                max={1440}
                defaultValue={60}
                className="input w-28"
              />
            </label>
            <label className="block">
              <span className="mb-1 block font-medium">Retries</span>
              <input name="retries" type="number" min={0} max={5} defaultValue={0} className="input w-20" />
            </label>
            <label className="mt-6 flex items-center gap-2">
              <input name="notify" type="checkbox" defaultChecked />
              Notify me when a run fails
            </label>
          </div>
          {error && (
            <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-red-700">
              {error}
            </p>
          )}
          <div className="flex justify-end gap-2">
            <button type="button" className="btn-secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn-primary" disabled={isBusy}>
              Create job
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
