// A notebook shown read-only (published notebooks), drawn by the notebook page's own pieces:
// markdown and math by its markdown renderer, code highlighted by StaticCode, outputs by
// OutputArea and its rendermime renderers. A published page therefore sanitizes and isolates
// exactly like the notebook page (SECURITY.md cases 1-14), with no second sanitizer to keep equal.
// Nothing here runs, edits or saves: there is no controller, and outputs get no chart builder.
"use client";
import "katex/dist/katex.min.css";
import "../notebook/notebook.css";
import { parseIpynb, type TCell } from "@flint/notebook";
import { memo, useMemo } from "react";
import { languageOf } from "@/lib/notebook/editor-models";
import { OutputArea } from "../notebook/outputs/output-area";
import { RenderedMarkdown } from "../notebook/rendered-markdown";
import { StaticCode } from "../notebook/static-code";

const TYPE_LABELS = { code: "Code", markdown: "Markdown", raw: "Raw" } as const;

const ReadOnlyCell = memo(function ReadOnlyCell({ cell }: { cell: TCell }) {
  return (
    <li aria-label={`${TYPE_LABELS[cell.cell_type]} cell`} data-cell-id={cell.id} className="nb-cell">
      <div className="nb-gutter">
        {cell.cell_type === "code" ? (
          <span className="nb-prompt" title="Execution count">
            [{cell.execution_count ?? " "}]
          </span>
        ) : (
          <span className="nb-type-badge">{cell.cell_type === "markdown" ? "MD" : "RAW"}</span>
        )}
      </div>
      <div className="nb-body">
        {cell.cell_type === "markdown" ? (
          <RenderedMarkdown source={cell.source} attachments={cell.attachments} />
        ) : (
          <StaticCode
            source={cell.source}
            language={languageOf(cell.cell_type)}
            findQuery=""
            isCaseSensitive={false}
          />
        )}
        {cell.cell_type === "code" && <OutputArea outputs={cell.outputs} />}
      </div>
    </li>
  );
});

/**
 * A notebook read-only, from its nbformat JSON (as the API sends it). The JSON goes through the
 * same parser as the notebook page's, which rejects malformed cells and outputs (case 7).
 */
export function ReadOnlyNotebook({ notebook }: { notebook: unknown }) {
  const parsed = useMemo(() => parseIpynb(JSON.stringify(notebook)), [notebook]);
  if (!parsed.ok) {
    return (
      <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
        This notebook could not be read: {parsed.error}
      </p>
    );
  }
  return (
    <div className="nb-root">
      <ol aria-label="Cells" className="flex flex-col gap-1.5">
        {parsed.notebook.cells.map((cell) => (
          <ReadOnlyCell key={cell.id} cell={cell} />
        ))}
      </ol>
    </div>
  );
}
