// `application/vnd.flint.table+json`: DataFrames from the kernel as a table, with a "Chart" button
// that opens the chart builder where the notebook can be edited. A table with a `tableId` is live
// where the person may run the notebook: its pages, sort and filters are computed in the kernel
// (docs/outputs.md) and only the page shown travels. Elsewhere (viewers, published pages, an
// exported file) it shows the first page saved in the output.
"use client";
import { memo, useCallback, useEffect, useRef, useState } from "react";
import { z } from "zod";
import type { TTablePageResult } from "@/lib/notebook/protocol";
import { useChartBuilder } from "./chart-actions";
import { type TLiveOutputs, useLiveOutputs } from "./live-outputs";

const ZTable = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string().optional() })),
  rows: z.array(z.array(z.unknown())),
  totalRows: z.number().nullable().optional(),
  truncated: z.boolean().optional(),
  /** The variable holding the DataFrame, when the kernel found one (`%%sql -o NAME` names it too). */
  variable: z.string().optional(),
  /** The DataFrame in the kernel's registry of live tables: the key to its other pages. */
  tableId: z.string().optional(),
});
type TTable = z.infer<typeof ZTable>;

/** Rows per page when the saved first page does not say (it held the whole table). */
const PAGE_SIZE = 50;
/** Typing in a filter waits this long for the next key before asking the kernel. */
const FILTER_DELAY_MS = 350;

type TSort = { column: number; descending: boolean } | null;
type TView = { offset: number; sort: TSort; filters: string[]; globalFilter: string };
type TPage = { rows: unknown[][]; offset: number; totalRows: number | null; hasMore: boolean };

function display(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

export function isTableValue(value: unknown): boolean {
  return ZTable.safeParse(value).success;
}

function caption(page: TPage, isFiltered: boolean): string {
  const shown = page.rows.length;
  const what = isFiltered ? "matching rows" : "rows";
  if (shown === 0) return isFiltered ? "No matching rows" : "No rows";
  const range = `${what === "rows" ? "Rows" : "Matching rows"} ${(page.offset + 1).toLocaleString()}–${(page.offset + shown).toLocaleString()}`;
  if (page.totalRows !== null) return `${range} of ${page.totalRows.toLocaleString()}`;
  return page.hasMore ? `${range} of more than ${(page.offset + shown).toLocaleString()}` : range;
}

export const TableOutput = memo(function TableOutput({ value }: { value: unknown }) {
  const parsed = ZTable.safeParse(value);
  const live = useLiveOutputs();
  if (!parsed.success) return <p className="text-xs text-red-700">This table output is malformed.</p>;
  // A new run's table is a new table: its view starts over.
  return (
    <Table
      key={parsed.data.tableId ?? "saved"}
      table={parsed.data}
      live={parsed.data.tableId ? live : null}
    />
  );
});

function Table({ table, live }: { table: TTable; live: TLiveOutputs | null }) {
  const { columns, variable, tableId } = table;
  const openBuilder = useChartBuilder();
  const savedPage: TPage = {
    rows: table.rows,
    offset: 0,
    totalRows: table.totalRows ?? (table.truncated ? null : table.rows.length),
    hasMore: table.truncated === true,
  };
  const pageSize = table.truncated && table.rows.length > 0 ? table.rows.length : PAGE_SIZE;
  const [view, setView] = useState<TView>({
    offset: 0,
    sort: null,
    filters: columns.map(() => ""),
    globalFilter: "",
  });
  const [page, setPage] = useState<TPage>(savedPage);
  const [isLoading, setLoading] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const latest = useRef(0);
  const filterTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (filterTimer.current && clearTimeout(filterTimer.current)), []);

  const isFiltered = view.globalFilter.trim() !== "" || view.filters.some((text) => text.trim() !== "");

  /** Asks the kernel for the page of `next`; only the latest request's answer is shown. */
  const load = useCallback(
    async (next: TView, options: { countRows?: boolean; toLast?: boolean } = {}) => {
      if (!live || !tableId) return;
      const ask = latest.current + 1;
      latest.current = ask;
      setLoading(true);
      const filters = [
        ...next.filters.flatMap((text, column) => (text.trim() ? [{ column, text }] : [])),
        ...(next.globalFilter.trim() ? [{ column: null, text: next.globalFilter }] : []),
      ];
      const request = (offset: number, countRows: boolean) =>
        live.pageTable({
          tableId,
          offset,
          limit: pageSize,
          sort: next.sort,
          filters,
          ...(countRows ? { countRows: true } : {}),
        });
      let result: TTablePageResult = await request(next.offset, options.countRows === true);
      if (options.toLast && result.status === "ok" && result.totalRows !== null) {
        const lastOffset = Math.max(0, Math.floor((result.totalRows - 1) / pageSize) * pageSize);
        if (lastOffset !== result.offset) result = await request(lastOffset, false);
      }
      if (latest.current !== ask) return;
      setLoading(false);
      if (result.status !== "ok") {
        setProblem(result.message);
        return;
      }
      setProblem(null);
      setView({ ...next, offset: result.offset });
      setPage({
        rows: result.rows,
        offset: result.offset,
        totalRows: result.totalRows,
        hasMore: result.hasMore,
      });
    },
    [live, tableId, pageSize],
  );

  const changeFilter = (next: TView) => {
    setView(next);
    if (filterTimer.current) clearTimeout(filterTimer.current);
    filterTimer.current = setTimeout(() => void load({ ...next, offset: 0 }), FILTER_DELAY_MS);
  };

  const sortBy = (column: number) => {
    // Ascending, then descending, then the table's own order.
    const current = view.sort?.column === column ? view.sort : null;
    const sort: TSort = !current
      ? { column, descending: false }
      : !current.descending
        ? { column, descending: true }
        : null;
    void load({ ...view, sort, offset: 0 });
  };

  const isLive = live !== null && tableId !== undefined;
  const isFirst = page.offset === 0;
  const isLast = !page.hasMore;

  return (
    <div className="nb-table-wrap" data-testid="table-output">
      {isLive && (
        <div className="mb-1 flex flex-wrap items-center gap-2">
          <input
            className="input py-0.5 text-xs"
            type="search"
            aria-label="Filter all columns"
            placeholder="Filter all columns"
            value={view.globalFilter}
            onChange={(event) => changeFilter({ ...view, globalFilter: event.target.value })}
          />
          {isLoading && (
            <span className="text-xs text-slate-500" role="status">
              Loading…
            </span>
          )}
        </div>
      )}
      <table className="nb-table" aria-busy={isLoading}>
        <thead>
          <tr>
            {columns.map((column, index) => {
              const sorted = view.sort?.column === index ? view.sort : null;
              return (
                <th
                  key={index}
                  scope="col"
                  title={column.type}
                  aria-sort={sorted ? (sorted.descending ? "descending" : "ascending") : undefined}
                >
                  {isLive ? (
                    <button
                      type="button"
                      className="block text-left font-medium text-slate-800"
                      title={`Sort by ${column.name}`}
                      onClick={() => sortBy(index)}
                    >
                      {column.name}
                      {sorted && <span aria-hidden="true">{sorted.descending ? " ▼" : " ▲"}</span>}
                    </button>
                  ) : (
                    <span className="block font-medium text-slate-800">{column.name}</span>
                  )}
                  {column.type && (
                    <span className="block text-[11px] font-normal text-slate-400">{column.type}</span>
                  )}
                </th>
              );
            })}
          </tr>
          {isLive && (
            <tr>
              {columns.map((column, index) => (
                <th key={index} scope="col" className="font-normal">
                  <input
                    className="input w-full min-w-16 py-0.5 text-xs font-normal"
                    aria-label={`Filter ${column.name}`}
                    placeholder="filter"
                    title="Text to find, or >5, <=2.5, =3, !=0 on numbers"
                    value={view.filters[index] ?? ""}
                    onChange={(event) =>
                      changeFilter({
                        ...view,
                        filters: view.filters.map((text, at) => (at === index ? event.target.value : text)),
                      })
                    }
                  />
                </th>
              ))}
            </tr>
          )}
        </thead>
        <tbody>
          {page.rows.map((row, rowIndex) => (
            <tr key={page.offset + rowIndex}>
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
      {problem && (
        <p role="alert" className="mt-1 text-xs text-amber-800">
          {problem}
        </p>
      )}
      <div className="mt-1 flex flex-wrap items-center gap-2">
        <p className="text-xs text-slate-500" data-testid="table-caption">
          {caption(page, isFiltered)}
        </p>
        {isLive && !(isFirst && isLast) && (
          <nav aria-label="Table pages" className="flex items-center gap-1">
            <button
              type="button"
              className="nb-link-button"
              disabled={isFirst || isLoading}
              onClick={() => void load({ ...view, offset: 0 })}
            >
              First
            </button>
            <button
              type="button"
              className="nb-link-button"
              disabled={isFirst || isLoading}
              onClick={() => void load({ ...view, offset: Math.max(0, page.offset - pageSize) })}
            >
              Previous
            </button>
            <button
              type="button"
              className="nb-link-button"
              disabled={isLast || isLoading}
              onClick={() => void load({ ...view, offset: page.offset + pageSize })}
            >
              Next
            </button>
            <button
              type="button"
              className="nb-link-button"
              // Spark does not count until asked: "Last" asks (a job over the data), then goes there.
              title={
                page.totalRows === null
                  ? "Counts the rows (a Spark job), then shows the last page"
                  : undefined
              }
              disabled={isLast || isLoading}
              onClick={() =>
                void load(
                  page.totalRows !== null
                    ? {
                        ...view,
                        offset: Math.max(0, Math.floor((page.totalRows - 1) / pageSize) * pageSize),
                      }
                    : view,
                  { countRows: page.totalRows === null, toLast: true },
                )
              }
            >
              Last
            </button>
          </nav>
        )}
        {!isLive && table.truncated && tableId && (
          <span className="text-xs text-slate-400">Other pages show where you may run this notebook.</span>
        )}
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
}
