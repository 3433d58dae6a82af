// Small charts of a column's profile: plain SVG and HTML bars, no chart library.
import { formatCount, formatPercent, formatStat } from "./format";
import type { TColumnProfile } from "./types";

function Histogram({ edges, counts }: { edges: number[]; counts: number[] }) {
  const max = Math.max(1, ...counts);
  const width = 160;
  const height = 40;
  const barWidth = width / Math.max(1, counts.length);
  return (
    <svg
      width={width}
      height={height}
      role="img"
      aria-label={`Histogram from ${formatStat(edges[0] ?? null)} to ${formatStat(edges.at(-1) ?? null)}`}
    >
      {counts.map((count, index) => {
        const barHeight = Math.max(count > 0 ? 1 : 0, (count / max) * height);
        return (
          <rect
            key={index}
            x={index * barWidth + 1}
            y={height - barHeight}
            width={Math.max(1, barWidth - 2)}
            height={barHeight}
            className="fill-brand-500"
          >
            <title>{`${formatStat(edges[index] ?? null)} – ${formatStat(edges[index + 1] ?? null)}: ${formatCount(count)}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

function TopValues({ values, total }: { values: { value: string | null; count: number }[]; total: number }) {
  const max = Math.max(1, ...values.map((value) => value.count));
  return (
    <ul className="w-48 space-y-0.5 text-xs">
      {values.slice(0, 5).map((entry, index) => (
        <li key={index} className="relative overflow-hidden rounded bg-slate-50 px-1">
          <span
            className="absolute inset-y-0 left-0 bg-brand-100"
            style={{ width: `${(entry.count / max) * 100}%` }}
            aria-hidden
          />
          <span className="relative flex justify-between gap-2">
            <span className="truncate">{entry.value ?? "null"}</span>
            <span className="text-slate-500">
              {total > 0 ? formatPercent(entry.count / total) : formatCount(entry.count)}
            </span>
          </span>
        </li>
      ))}
    </ul>
  );
}

/** One row of the profile table: statistics, null share, and a histogram or top values. */
export function ColumnProfileRow({ column, rows }: { column: TColumnProfile; rows: number }) {
  return (
    <tr className="border-t border-slate-100 align-top" data-testid={`profile-${column.name}`}>
      <td className="py-2 pr-3">
        <div className="font-medium">{column.name}</div>
        <div className="text-xs text-slate-500">{column.dataType}</div>
      </td>
      <td className="py-2 pr-3 text-sm">
        <div className="h-1.5 w-20 overflow-hidden rounded bg-slate-200" aria-hidden>
          <div className="h-full bg-amber-500" style={{ width: `${column.nullFraction * 100}%` }} />
        </div>
        <span className="text-xs text-slate-600">{formatPercent(column.nullFraction)} null</span>
      </td>
      <td className="py-2 pr-3 text-sm">{formatCount(column.distinctCount)}</td>
      <td className="py-2 pr-3 text-xs text-slate-700">
        <div>min {formatStat(column.min)}</div>
        <div>max {formatStat(column.max)}</div>
        {column.mean !== null && <div>mean {formatStat(column.mean)}</div>}
        {column.stddev !== null && <div>stddev {formatStat(column.stddev)}</div>}
        {column.quantiles && <div>median {formatStat(column.quantiles.p50)}</div>}
      </td>
      <td className="py-2">
        {column.histogram && <Histogram edges={column.histogram.edges} counts={column.histogram.counts} />}
        {column.topValues && <TopValues values={column.topValues} total={rows - column.nullCount} />}
      </td>
    </tr>
  );
}
