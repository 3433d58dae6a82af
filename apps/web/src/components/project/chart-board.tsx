"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { FormMessages } from "@/components/ui/form-messages";
import { PinIcon } from "@/components/ui/icons";
import { apiClient, type TRequest } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { ChartThumbnail } from "./chart-thumbnail";

type TChartChanges = TRequest<"updateChart">["body"];

/** The project's saved charts as a grid of live thumbnails; editors pin and reorder them. */
export function ChartBoard({ projectId, canEdit }: { projectId: string; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const { data } = useQuery({
    queryKey: queryKeys.projectCharts(projectId),
    queryFn: () => apiClient("listCharts", { params: { id: projectId } }),
  });
  const charts = data?.charts ?? [];
  const [error, setError] = useState<string | null>(null);
  const load = () => queryClient.invalidateQueries({ queryKey: queryKeys.projectCharts(projectId) });
  const patch = async (chartId: string, changes: TChartChanges) => {
    try {
      await apiClient("updateChart", { params: { id: chartId }, body: changes });
      // Pins and positions are not drawn in thumbnails: the chart's own page reads it again when opened.
      void queryClient.invalidateQueries({ queryKey: queryKeys.chart(chartId), refetchType: "none" });
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  // Moving swaps board positions with the neighbour, within the same pinned group.
  const move = (index: number, delta: number) => {
    const chart = charts[index];
    const other = charts[index + delta];
    if (!chart || !other || chart.pinned !== other.pinned) return;
    void patch(chart.id, { position: other.position }).then(() =>
      patch(other.id, { position: chart.position }),
    );
  };
  return (
    <div>
      <FormMessages error={error} />
      {charts.length === 0 && (
        <div className="card p-8 text-center text-sm text-slate-600">
          No charts yet. Save a chart from a notebook output with “Save chart”.
        </div>
      )}
      <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Chart board">
        {charts.map((chart, index) => (
          <li key={chart.id} className="card flex flex-col overflow-hidden" data-testid="chart-card">
            <Link
              href={`/projects/${projectId}/charts/${chart.id}`}
              className="block h-44 overflow-hidden border-b border-slate-100 bg-white p-2"
            >
              <ChartThumbnail chartId={chart.id} />
            </Link>
            <div className="flex flex-1 flex-col gap-1 p-3">
              <Link
                href={`/projects/${projectId}/charts/${chart.id}`}
                className="font-medium hover:underline"
              >
                {chart.pinned && (
                  <span title="pinned" className="mr-1 text-brand-600">
                    <PinIcon />
                  </span>
                )}
                {chart.title}
              </Link>
              <p className="text-xs text-slate-500">
                by {chart.author}
                {chart.sourceNotebook && <> · from {chart.sourceNotebook.name}</>} · {chart.commentCount}{" "}
                comment{chart.commentCount === 1 ? "" : "s"}
              </p>
              {canEdit && (
                <div className="mt-auto flex gap-1 pt-2">
                  <button
                    type="button"
                    className="btn-secondary"
                    onClick={() => patch(chart.id, { pinned: !chart.pinned })}
                  >
                    {chart.pinned ? "Unpin" : "Pin"}
                  </button>
                  <button
                    type="button"
                    className="btn-secondary"
                    aria-label={`Move ${chart.title} earlier`}
                    onClick={() => move(index, -1)}
                  >
                    ←
                  </button>
                  <button
                    type="button"
                    className="btn-secondary"
                    aria-label={`Move ${chart.title} later`}
                    onClick={() => move(index, 1)}
                  >
                    →
                  </button>
                </div>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
