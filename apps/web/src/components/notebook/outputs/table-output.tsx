// `application/vnd.flint.table+json`: DataFrames from the kernel as a clean table, with a
// "Chart" button that opens the chart builder on its columns where the notebook can be edited.
import { memo } from "react";
import { z } from "zod";
import { useChartBuilder } from "./chart-actions";

const ZTable = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string().optional() })),
  rows: z.array(z.array(z.unknown())),
  totalRows: z.number().nullable().optional(),
  truncated: z.boolean().optional(),
  /** The variable holding the DataFrame, when the kernel found one. */
  variable: z.string().optional(),
});

function display(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

export function isTableValue(value: unknown): boolean {
  return ZTable.safeParse(value).success;
}

export const TableOutput = memo(function TableOutput({ value }: { value: unknown }) {
  const parsed = ZTable.safeParse(value);
  const openBuilder = useChartBuilder();
  if (!parsed.success) return <p className="text-xs text-red-700">This table output is malformed.</p>;
  const { columns, rows, totalRows, truncated, variable } = parsed.data;
  const shown = rows.length;
  const caption =
    truncated && typeof totalRows === "number"
      ? `showing ${shown.toLocaleString()} of ${totalRows.toLocaleString()} rows`
      : truncated
        ? `showing first ${shown.toLocaleString()} rows`
        : `${shown.toLocaleString()} ${shown === 1 ? "row" : "rows"}`;
  return (
    <div className="nb-table-wrap">
      <table className="nb-table">
        <thead>
          <tr>
            {columns.map((column, index) => (
              <th key={index} scope="col" title={column.type}>
                <span className="block font-medium text-slate-800">{column.name}</span>
                {column.type && (
                  <span className="block text-[11px] font-normal text-slate-400">{column.type}</span>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, rowIndex) => (
            <tr key={rowIndex}>
              {columns.map((_column, index) => {
                const cell = row[index];
                const isNull = cell === null || cell === undefined;
                return (
                  <td
                    key={index}
                    className={
                      isNull
                        ? "text-slate-400 italic"
                        : typeof cell === "number"
                          ? "text-right tabular-nums"
                          : ""
                    }
                  >
                    {display(cell)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="mt-1 flex items-center gap-2">
        <p className="text-xs text-slate-500">{caption}</p>
        {openBuilder && columns.length > 0 && (
          <button
            type="button"
            className="nb-link-button"
            title={`Build a chart of ${variable ?? "this table"}: the chart is written as a %chart cell below`}
            onClick={() =>
              openBuilder({
                columns: columns.map((column) => ({ name: column.name, type: column.type ?? "" })),
                ...(variable ? { variable } : {}),
              })
            }
          >
            Chart
          </button>
        )}
      </div>
    </div>
  );
});
