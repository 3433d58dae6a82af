"use client";

interface TCell {
  id: string;
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
}

const join = (value: unknown) =>
  Array.isArray(value) ? value.join("") : typeof value === "string" ? value : "";

/** Plain-text rendering of an output: published pages never render output HTML. */
function outputText(output: unknown): string {
  const record = output as {
    output_type?: string;
    text?: unknown;
    data?: Record<string, unknown>;
    ename?: string;
    evalue?: string;
  };
  if (record.output_type === "stream") return join(record.text);
  if (record.output_type === "error") return `${record.ename ?? "Error"}: ${record.evalue ?? ""}`;
  return join(record.data?.["text/plain"]);
}

/** A notebook shown read-only, sources and text outputs, for published and embedded views. */
export function ReadOnlyNotebook({ cells }: { cells: TCell[] }) {
  return (
    <ol className="space-y-3" aria-label="Cells">
      {cells.map((cell) => (
        <li key={cell.id} className="card p-3" data-cell-id={cell.id}>
          <pre
            className={`overflow-x-auto whitespace-pre-wrap text-sm ${cell.cell_type === "code" ? "font-mono" : "font-sans"}`}
          >
            {join(cell.source)}
          </pre>
          {(cell.outputs ?? []).map((output, index) => (
            <pre
              key={index}
              className="mt-2 overflow-x-auto border-t border-slate-100 pt-2 font-mono text-sm whitespace-pre-wrap text-slate-700"
            >
              {outputText(output)}
            </pre>
          ))}
        </li>
      ))}
    </ol>
  );
}
