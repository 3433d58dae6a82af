"use client";
import { useParams } from "next/navigation";
import { useEffect, useState } from "react";
import { ChartView } from "@/components/charts/chart-view";
import { type ApiError, apiFetch } from "@/lib/api";

/** A published chart alone on a page, for embedding read-only elsewhere. */
export default function EmbeddedChartPage() {
  const { chartId } = useParams<{ chartId: string }>();
  const [spec, setSpec] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    apiFetch<{ spec: Record<string, unknown> }>(`/api/v1/charts/${chartId}`).then(
      (chart) => setSpec(chart.spec),
      (err: ApiError) => setError(err.status === 401 ? "This chart is not published." : err.message),
    );
  }, [chartId]);
  return (
    <main className="p-2">
      {error ? <p role="alert">{error}</p> : spec ? <ChartView spec={spec} /> : null}
    </main>
  );
}
