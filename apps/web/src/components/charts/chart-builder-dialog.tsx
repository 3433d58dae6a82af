// The chart builder: point-and-click choices over a table's columns (mark, x, y, colour, size,
// facet, with aggregate, bin, time unit, sort, title), shown live as the `%chart` line they make.
// Applying it writes that line into a cell and runs it, so every chart stays reproducible code;
// the kernel does the work (in Spark for Spark DataFrames). The choices' state and checks are the
// pure `@flint/charts` builder, the same rules the kernel applies.
"use client";
import {
  aggregatesFor,
  buildChartCommand,
  CHART_MARKS,
  classifyColumnType,
  parseChartCommand,
  suggestChoices,
  type TChartAggregate,
  type TChartChoices,
  type TChartMark,
  type TChartTimeUnit,
  type TColumnKind,
  type TFieldChoice,
  type TSingleChannel,
  type TTableColumn,
  timeUnitsFor,
  validateChoices,
} from "@flint/charts";
import { VegaOutput } from "@flint/charts/client";
import { useEffect, useId, useMemo, useState } from "react";
import { type TLiveOutputs, useLiveOutputs } from "../notebook/outputs/live-outputs";
import { Modal } from "../ui/modal";

/** The builder waits this long after the last change before asking the kernel for a preview. */
const PREVIEW_DELAY_MS = 400;

type TPreview =
  | { state: "idle" }
  | { state: "loading"; spec: Record<string, unknown> | null }
  | { state: "ready"; spec: Record<string, unknown> }
  | { state: "error"; message: string };

/**
 * The chart the line draws, computed in the kernel as the cell would compute it (in Spark for a
 * Spark DataFrame) and redrawn as the choices change, without running a cell. The last answer
 * stays drawn, dimmed, while the next one is computed.
 */
function ChartPreview({ line, isValid, live }: { line: string; isValid: boolean; live: TLiveOutputs }) {
  const [preview, setPreview] = useState<TPreview>({ state: "idle" });
  useEffect(() => {
    if (!isValid) return;
    let isCurrent = true;
    const timer = setTimeout(() => {
      setPreview((previous) => ({
        state: "loading",
        spec: previous.state === "ready" || previous.state === "loading" ? previous.spec : null,
      }));
      void live.previewChart(line).then((result) => {
        if (!isCurrent) return;
        setPreview(
          result.status === "ok"
            ? { state: "ready", spec: result.spec }
            : { state: "error", message: result.message },
        );
      });
    }, PREVIEW_DELAY_MS);
    return () => {
      isCurrent = false;
      clearTimeout(timer);
    };
  }, [line, isValid, live]);
  const spec = preview.state === "ready" || preview.state === "loading" ? preview.spec : null;
  return (
    <section
      aria-label="Chart preview"
      data-testid="chart-preview"
      className="min-h-24 rounded border border-slate-200 p-2"
    >
      <p className="mb-1 text-sm font-medium text-slate-600">
        Preview{" "}
        {preview.state === "loading" && (
          <span role="status" className="font-normal text-slate-400">
            updating…
          </span>
        )}
      </p>
      {!isValid && (
        <p className="text-xs text-slate-500">The preview shows once the choices above make a chart.</p>
      )}
      {isValid && preview.state === "error" && (
        <pre role="alert" className="m-0 whitespace-pre-wrap font-mono text-xs text-red-700">
          {preview.message}
        </pre>
      )}
      {isValid && spec && (
        <div className={preview.state === "loading" ? "opacity-60" : ""} data-preview-state={preview.state}>
          <VegaOutput mimeType="application/vnd.vegalite.v6+json" spec={spec} actions={false} />
        </div>
      )}
    </section>
  );
}

/** Field channels the builder offers, in order; theta appears for arc charts only. */
const FIELD_CHANNELS: readonly { channel: TSingleChannel; label: string }[] = [
  { channel: "x", label: "x" },
  { channel: "y", label: "y" },
  { channel: "theta", label: "theta" },
  { channel: "color", label: "color" },
  { channel: "size", label: "size" },
];
const COUNT = "\u0000count";
const SORTS = [
  { value: "", label: "Data order" },
  { value: "x", label: "x ascending" },
  { value: "-x", label: "x descending" },
  { value: "y", label: "y ascending" },
  { value: "-y", label: "y descending" },
] as const;

/** Keeps what still fits when the column of a field changes (a sum stays a sum on numbers). */
function retarget(previous: TFieldChoice | undefined, column: string, kind: TColumnKind): TFieldChoice {
  const next: TFieldChoice = { column };
  if (
    previous?.aggregate &&
    previous.aggregate !== "count" &&
    aggregatesFor(kind).includes(previous.aggregate)
  )
    next.aggregate = previous.aggregate;
  else if (previous?.bin !== undefined && kind === "quantitative") next.bin = previous.bin;
  else if (previous?.timeUnit && timeUnitsFor(kind).includes(previous.timeUnit))
    next.timeUnit = previous.timeUnit;
  return next;
}

function FieldControls({
  channel,
  label,
  choice,
  columns,
  allowCount,
  allowAggregate,
  onChange,
}: {
  channel: string;
  label: string;
  choice: TFieldChoice | undefined;
  columns: readonly TTableColumn[];
  allowCount: boolean;
  allowAggregate: boolean;
  onChange: (choice: TFieldChoice | undefined) => void;
}) {
  const kinds = useMemo(() => new Map(columns.map((c) => [c.name, classifyColumnType(c.type)])), [columns]);
  const kind = choice?.column !== undefined ? kinds.get(choice.column) : undefined;
  const columnValue = choice?.column ?? (choice?.aggregate === "count" ? COUNT : "");
  const canBin = (channel === "x" || channel === "y") && kind === "quantitative";
  const units = kind ? timeUnitsFor(kind) : [];
  return (
    <div className="grid grid-cols-[4rem_1fr_7rem_5rem_7rem] items-center gap-2">
      <span className="text-sm font-medium">{label}</span>
      <select
        className="input py-1 text-sm"
        aria-label={`${label} column`}
        value={columnValue}
        onChange={(event) => {
          const value = event.target.value;
          if (value === "") onChange(undefined);
          else if (value === COUNT) onChange({ aggregate: "count" });
          else onChange(retarget(choice, value, kinds.get(value) ?? "unsupported"));
        }}
      >
        <option value="">—</option>
        {allowCount && <option value={COUNT}>count of rows</option>}
        {columns.map((column) => (
          <option key={column.name} value={column.name}>
            {column.name} · {column.type}
          </option>
        ))}
      </select>
      {allowAggregate && kind !== undefined ? (
        <select
          className="input py-1 text-sm"
          aria-label={`${label} aggregate`}
          value={choice?.aggregate ?? ""}
          onChange={(event) => {
            const aggregate = event.target.value as TChartAggregate | "";
            onChange({ column: choice?.column, ...(aggregate ? { aggregate } : {}) });
          }}
        >
          <option value="">no aggregate</option>
          {aggregatesFor(kind).map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      ) : (
        <span />
      )}
      {canBin && !choice?.aggregate ? (
        <input
          className="input py-1 text-sm"
          type="number"
          min={1}
          max={1000}
          placeholder="bins"
          aria-label={`${label} bins`}
          value={choice?.bin ?? ""}
          onChange={(event) => {
            const bins = event.target.value === "" ? undefined : Number(event.target.value);
            onChange({ column: choice?.column, ...(bins !== undefined ? { bin: bins } : {}) });
          }}
        />
      ) : (
        <span />
      )}
      {units.length > 0 && !choice?.aggregate ? (
        <select
          className="input py-1 text-sm"
          aria-label={`${label} time unit`}
          value={choice?.timeUnit ?? ""}
          onChange={(event) => {
            const timeUnit = event.target.value as TChartTimeUnit | "";
            onChange({ column: choice?.column, ...(timeUnit ? { timeUnit } : {}) });
          }}
        >
          <option value="">no time unit</option>
          {units.map((unit) => (
            <option key={unit} value={unit}>
              {unit}
            </option>
          ))}
        </select>
      ) : (
        <span />
      )}
    </div>
  );
}

/** The choices the dialog opens with: the edited chart's, else a suggestion for the table. */
function initialChoices(
  columns: readonly TTableColumn[],
  variable?: string,
  command?: string,
): TChartChoices {
  if (command) {
    const parsed = parseChartCommand(command);
    if (parsed.ok) return parsed.choices;
  }
  return suggestChoices(variable ?? "", columns);
}

export function ChartBuilderDialog({
  columns,
  variable,
  command,
  onApply,
  onClose,
}: {
  columns: readonly TTableColumn[];
  /** The DataFrame's variable; when unknown the user names it. */
  variable?: string;
  /** The `%chart` line being edited (absent for a new chart). */
  command?: string;
  /** Writes the line into the notebook and runs it. */
  onApply: (command: string) => void;
  onClose: () => void;
}) {
  const titleId = useId();
  const [choices, setChoices] = useState<TChartChoices>(() => initialChoices(columns, variable, command));
  const issues = useMemo(() => validateChoices(choices, columns), [choices, columns]);
  const line = buildChartCommand(choices);
  const isEditing = command !== undefined;
  const live = useLiveOutputs();

  /** Sets or clears one choice (a cleared choice is absent, as `%chart` reads it). */
  const set = <K extends Exclude<keyof TChartChoices, "data">>(key: K, value: TChartChoices[K] | undefined) =>
    setChoices((previous) => {
      const next = { ...previous };
      if (value === undefined) delete next[key];
      else next[key] = value;
      return next;
    });

  return (
    <Modal
      labelledBy={titleId}
      onClose={onClose}
      className="max-h-[90vh] w-full max-w-3xl space-y-3 overflow-y-auto bg-white p-5"
    >
      <h2 id={titleId} className="text-lg font-semibold">
        {isEditing ? "Edit chart" : "Build a chart"}
      </h2>
      <div className="flex flex-wrap items-end gap-3">
        <label className="text-sm">
          <span className="block font-medium">DataFrame</span>
          <input
            className="input py-1 font-mono text-sm"
            aria-label="DataFrame variable"
            value={choices.data}
            placeholder="df"
            onChange={(event) => setChoices((previous) => ({ ...previous, data: event.target.value.trim() }))}
          />
        </label>
        <label className="text-sm">
          <span className="block font-medium">Mark</span>
          <select
            className="input py-1 text-sm"
            aria-label="Mark"
            value={choices.mark ?? ""}
            onChange={(event) => set("mark", (event.target.value || undefined) as TChartMark | undefined)}
          >
            <option value="">automatic</option>
            {CHART_MARKS.map((mark) => (
              <option key={mark} value={mark}>
                {mark}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          <span className="block font-medium">Sort</span>
          <select
            className="input py-1 text-sm"
            aria-label="Sort"
            value={choices.sort ?? ""}
            onChange={(event) =>
              set("sort", (event.target.value || undefined) as TChartChoices["sort"] | undefined)
            }
          >
            {SORTS.map((sort) => (
              <option key={sort.value} value={sort.value}>
                {sort.label}
              </option>
            ))}
          </select>
        </label>
        <label className="min-w-48 flex-1 text-sm">
          <span className="block font-medium">Title</span>
          <input
            className="input w-full py-1 text-sm"
            aria-label="Title"
            maxLength={200}
            value={choices.title ?? ""}
            onChange={(event) => set("title", event.target.value || undefined)}
          />
        </label>
      </div>
      {!variable && !isEditing && (
        <p className="text-xs text-slate-500">
          This table is not held in a variable. Assign it first (for example <code>df = …</code>) and type the
          name above.
        </p>
      )}
      <fieldset className="space-y-2">
        <legend className="mb-1 text-sm font-medium text-slate-600">Fields</legend>
        {FIELD_CHANNELS.filter(({ channel }) => channel !== "theta" || choices.mark === "arc").map(
          ({ channel, label }) => (
            <FieldControls
              key={channel}
              channel={channel}
              label={label}
              choice={choices[channel]}
              columns={columns}
              allowCount={channel !== "x" || choices.mark !== "arc"}
              allowAggregate
              onChange={(choice) => set(channel, choice)}
            />
          ),
        )}
        <FieldControls
          channel="facet"
          label="facet"
          choice={choices.facet?.[0]}
          columns={columns}
          allowCount={false}
          allowAggregate={false}
          onChange={(choice) => set("facet", choice ? [choice] : undefined)}
        />
      </fieldset>
      <div>
        <p className="mb-1 text-sm font-medium text-slate-600">Code</p>
        <pre
          data-testid="chart-code"
          // Tailwind, not notebook.css's nb-pre: the dialog renders in <body>, outside .nb-root,
          // where nb-pre's font variable is undefined. Same monospace, size and wrapping.
          className="m-0 rounded bg-slate-50 p-2 font-mono text-[13px] leading-[1.45] text-slate-800 wrap-anywhere whitespace-pre-wrap"
        >
          {line}
        </pre>
      </div>
      {live && <ChartPreview line={line} isValid={issues.length === 0} live={live} />}
      {issues.length > 0 && (
        <ul aria-label="Chart problems" className="space-y-1 text-sm text-red-700">
          {issues.map((issue) => (
            <li key={`${issue.channel ?? ""}:${issue.message}`}>
              {issue.channel ? `${issue.channel}: ` : ""}
              {issue.message}
            </li>
          ))}
        </ul>
      )}
      <div className="flex justify-end gap-2">
        <button type="button" className="btn-secondary" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="btn-primary"
          disabled={issues.length > 0}
          onClick={() => onApply(line)}
        >
          {isEditing ? "Update and run" : "Insert and run"}
        </button>
      </div>
    </Modal>
  );
}
