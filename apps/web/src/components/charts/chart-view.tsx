"use client";

/**
 * Renders a saved chart's spec. The Vega renderer from packages/charts replaces this fallback
 * when it lands; until then the spec's data is shown as a table so the chart's content is visible.
 */
export function ChartView({ spec }: { spec: Record<string, unknown> }) {
  const values = ((spec.data as { values?: Record<string, unknown>[] } | undefined)?.values ?? []).slice(
    0,
    50,
  );
  const columns = [...new Set(values.flatMap((row) => Object.keys(row)))];
  return (
    <div className="overflow-auto text-sm" data-testid="chart-view">
      <table className="min-w-full">
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} className="border-b px-2 py-1 text-left font-medium">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {values.map((row, index) => (
            <tr key={index}>
              {columns.map((column) => (
                <td key={column} className="border-b border-slate-100 px-2 py-1">
                  {String(row[column] ?? "")}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
