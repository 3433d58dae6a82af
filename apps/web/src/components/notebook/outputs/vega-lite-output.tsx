// Vega and Vega-Lite outputs (Altair 5's `application/vnd.vegalite.v5+json`, Altair 6's
// `application/vnd.vegalite.v6.json`, `%chart`'s `application/vnd.vegalite.v6+json`, Vega 5/6),
// drawn by @flint/charts' renderer: vega-embed in its CSP-safe interpreter mode, behind the spec
// guard and the same-origin data loader. Editors can save the chart to the project's board.
"use client";
import { VegaOutput } from "@flint/charts/client";
import { useParams } from "next/navigation";
import { memo, useState } from "react";
import { z } from "zod";
import { apiClient } from "@/lib/api";
import { useChartBuilder } from "./chart-actions";

export type TVegaLiteOutputProps = {
  /** The Vega-Lite spec (a JSON value; the renderer's guard validates it). */
  spec: unknown;
  /** Which Vega or Vega-Lite MIME type carried it. */
  mime: string;
  /** The bundle's text/plain, shown if the chart cannot be drawn. */
  fallbackText: string | null;
  /** A `%chart` output's `application/vnd.flint.chart+json` entry: its command and columns. */
  chartInfo?: unknown;
};

const ZChartInfo = z.object({
  command: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
});

/** "Edit in builder" for `%chart` outputs of kernels that say their source's columns. */
function EditInBuilder({ chartInfo }: { chartInfo: unknown }) {
  const openBuilder = useChartBuilder();
  const parsed = ZChartInfo.safeParse(chartInfo);
  if (!openBuilder || !parsed.success) return null;
  return (
    <button
      type="button"
      className="btn-secondary mt-1"
      onClick={() => openBuilder({ columns: parsed.data.columns, command: parsed.data.command })}
    >
      Edit in builder
    </button>
  );
}

/** A spec the chart API can store: a JSON object (anything else does not draw either). */
function isSpecObject(spec: unknown): spec is Record<string, unknown> {
  return typeof spec === "object" && spec !== null && !Array.isArray(spec);
}

function SaveChart({ spec }: { spec: Record<string, unknown> }) {
  const params = useParams<{ projectId?: string; notebookId?: string }>();
  const [state, setState] = useState<"idle" | "open" | "saving" | "saved">("idle");
  const [error, setError] = useState<string | null>(null);
  const projectId = params.projectId;
  if (!projectId) return null;
  const defaultTitle =
    typeof (spec as { title?: unknown })?.title === "string"
      ? ((spec as { title: string }).title ?? "")
      : (((spec as { title?: { text?: string } })?.title?.text as string | undefined) ?? "");
  const save = async (form: FormData) => {
    setState("saving");
    setError(null);
    try {
      await apiClient("createChart", {
        params: { id: projectId },
        body: {
          title: String(form.get("title")),
          description: String(form.get("description") ?? ""),
          spec,
          ...(params.notebookId ? { sourceNotebookId: params.notebookId } : {}),
        },
      });
      setState("saved");
    } catch (err) {
      setError((err as Error).message);
      setState("open");
    }
  };
  if (state === "saved")
    return <p className="mt-1 text-xs text-green-700">Saved to the project's chart board.</p>;
  if (state === "idle") {
    return (
      <button type="button" className="btn-secondary mt-1" onClick={() => setState("open")}>
        Save chart
      </button>
    );
  }
  return (
    <form
      className="mt-1 flex flex-wrap items-end gap-2"
      aria-label="Save chart"
      onSubmit={(event) => {
        event.preventDefault();
        void save(new FormData(event.currentTarget));
      }}
    >
      <label className="text-xs">
        <span className="block font-medium">Title</span>
        <input name="title" required maxLength={200} defaultValue={defaultTitle} className="input" />
      </label>
      <label className="text-xs">
        <span className="block font-medium">Description</span>
        <input name="description" maxLength={5000} className="input" />
      </label>
      <button type="submit" className="btn-primary" disabled={state === "saving"}>
        Save to board
      </button>
      {error && (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      )}
    </form>
  );
}

export const VegaLiteOutput = memo(function VegaLiteOutput({
  spec,
  mime,
  fallbackText,
  chartInfo,
}: TVegaLiteOutputProps) {
  const [failed, setFailed] = useState(false);
  return (
    <div className="nb-output-vegalite" data-testid="vega-output">
      <VegaOutput
        mimeType={mime}
        spec={spec}
        onStatus={(status) => setFailed(status.state === "error")}
        downloadFileName="flint-chart"
      />
      {failed && fallbackText && <pre className="nb-pre">{fallbackText}</pre>}
      {!failed && (
        <div className="flex flex-wrap items-start gap-2">
          {isSpecObject(spec) && <SaveChart spec={spec} />}
          {chartInfo !== undefined && <EditInBuilder chartInfo={chartInfo} />}
        </div>
      )}
    </div>
  );
});
