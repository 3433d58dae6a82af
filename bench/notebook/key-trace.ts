// BENCH_NOTEBOOK_TRACE=1: records a Chromium performance trace (the DevTools timeline) while
// keystrokes are measured, and prints, for each slow keystroke, the renderer main thread's work
// from its keydown to the frame that painted it: which tasks ran, how long, and the largest
// pieces inside them (event handlers, animation frame callbacks, timers, style, layout, GC). A CPU
// profile only says where time went over the whole window; this says what stood between one key
// and its paint. Used by the interaction part (interaction.ts).
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";

type TTraceEvent = {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: Record<string, unknown> };
};

const CATEGORIES = [
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "disabled-by-default-devtools.timeline.frame",
  "v8.execute",
  "blink.user_timing",
];

// Pieces worth naming inside a task (the trace has many more, mostly tiny).
const PIECES = new Set([
  "EventDispatch",
  "FireAnimationFrame",
  "TimerFire",
  "FunctionCall",
  "UpdateLayoutTree",
  "Layout",
  "Paint",
  "PrePaint",
  "Layerize",
  "MinorGC",
  "MajorGC",
  "V8.GC_SCAVENGER",
  "V8.GC_MARK_COMPACTOR",
  "ParseHTML",
  "FireIdleCallback",
  "ResizeObserverController::DeliverObservations",
  "IntersectionObserverController::computeIntersections",
  "UpdateLayer",
  "HitTest",
  "v8.run",
  "RunMicrotasks",
]);

function label(event: TTraceEvent): string {
  const data = event.args?.data ?? {};
  if (event.name === "EventDispatch") return `event ${String(data.type)}`;
  if (event.name === "FunctionCall") {
    const fn = String(data.functionName || "(anonymous)");
    const url =
      String(data.url ?? "")
        .split("/")
        .pop() ?? "";
    return `call ${fn} ${url}:${String(data.lineNumber ?? "")}`;
  }
  if (event.name === "TimerFire") return `timer ${String(data.timerId ?? "")}`;
  return event.name;
}

/**
 * Runs `work` under a trace and prints, for each keystroke whose latency (from `latencies`, in
 * the order the keys were pressed) is at least `slowMs`, the main thread's tasks from its keydown
 * to the paint.
 */
export async function traceKeystrokes(
  page: Page,
  name: string,
  work: () => Promise<number[]>,
  slowMs: number,
): Promise<number[]> {
  const browser = page.context().browser();
  if (!browser) throw new Error("the page has no browser to trace");
  const file = path.join(os.tmpdir(), `${name.replace(/[^\w.-]+/g, "-")}.trace.json`);
  await browser.startTracing(page, { path: file, categories: CATEGORIES });
  let latencies: number[];
  try {
    latencies = await work();
  } finally {
    await browser.stopTracing();
  }
  const { traceEvents } = JSON.parse(readFileSync(file, "utf8")) as { traceEvents: TTraceEvent[] };
  const main = traceEvents.find(
    (event) => event.name === "thread_name" && event.args?.name === "CrRendererMain",
  );
  const onMain = traceEvents
    .filter((event) => main && event.pid === main.pid && event.tid === main.tid && event.ph === "X")
    .sort((a, b) => a.ts - b.ts);
  // The typed key's keydown is the one followed by a keypress (Escape brings none).
  const dispatches = onMain.filter((event) => event.name === "EventDispatch");
  const keydowns = dispatches.filter(
    (event, i) =>
      event.args?.data?.type === "keydown" &&
      dispatches
        .slice(i + 1, i + 6)
        .some((next) => next.args?.data?.type === "keypress" && next.ts - event.ts < 50_000),
  );
  process.stdout.write(
    `\n${name}: ${latencies.length} keystrokes, ${keydowns.length} typed keydowns in the trace (${file})\n`,
  );
  latencies.forEach((latency, index) => {
    const down = keydowns[index];
    if (!down || latency < slowMs) return;
    const from = down.ts;
    const to = from + latency * 1000;
    process.stdout.write(`  key ${index}: ${latency.toFixed(1)} ms\n`);
    const tasks = onMain.filter(
      (event) => event.name === "RunTask" && event.ts + (event.dur ?? 0) >= from - 2000 && event.ts <= to,
    );
    for (const task of tasks) {
      const end = task.ts + (task.dur ?? 0);
      const pieces = onMain
        .filter(
          (event) =>
            PIECES.has(event.name) &&
            event.ts >= task.ts &&
            event.ts + (event.dur ?? 0) <= end &&
            (event.dur ?? 0) >= 300,
        )
        .map((event) => `${label(event)} ${((event.dur ?? 0) / 1000).toFixed(1)}`);
      process.stdout.write(
        `    +${((task.ts - from) / 1000).toFixed(1).padStart(6)} ms task ${((task.dur ?? 0) / 1000).toFixed(1)} ms` +
          `${pieces.length ? `: ${pieces.slice(0, 10).join(", ")}` : ""}\n`,
      );
    }
  });
  if (!process.env.BENCH_NOTEBOOK_KEEP_TRACE) rmSync(file, { force: true });
  return latencies;
}
