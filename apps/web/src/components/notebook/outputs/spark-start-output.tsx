// `application/vnd.flint.spark-start+json`: the kernel's notice in a cell that waits for Spark to
// start (flint/kernel/start_notice.py), updated in place when the wait ends. While it waits the
// page counts the seconds on from the kernel's `elapsedS`, so a long start visibly progresses.
import { memo, useEffect, useState } from "react";
import { z } from "zod";

const ZNotice = z.object({
  state: z.enum(["starting", "ready", "failed", "interrupted"]),
  master: z.string().max(500),
  elapsedS: z.number().nonnegative(),
});

/** Seconds since mount, from `initial` on, ticking once a second while `isRunning`. */
function useSecondsFrom(initial: number, isRunning: boolean): number {
  const [seconds, setSeconds] = useState(initial);
  useEffect(() => {
    setSeconds(initial);
    if (!isRunning) return;
    const startedAt = Date.now();
    const timer = setInterval(() => setSeconds(initial + (Date.now() - startedAt) / 1000), 1000);
    return () => clearInterval(timer);
  }, [initial, isRunning]);
  return seconds;
}

export const SparkStartOutput = memo(function SparkStartOutput({ value }: { value: unknown }) {
  const parsed = ZNotice.safeParse(value);
  const isStarting = parsed.success && parsed.data.state === "starting";
  const seconds = useSecondsFrom(parsed.success ? parsed.data.elapsedS : 0, isStarting);
  if (!parsed.success) return <p className="text-xs text-slate-500">Spark's start notice is unreadable.</p>;
  const { state, master } = parsed.data;
  if (state === "starting")
    return (
      <p role="status" className="nb-spark-start flex items-center gap-2 text-xs text-slate-600">
        <span aria-hidden className="inline-block h-2 w-2 animate-pulse rounded-full bg-amber-500" />
        Starting Spark ({master})… {Math.floor(seconds)} s. The cell runs as soon as it is up.
      </p>
    );
  const text = {
    ready: `Spark started in ${seconds.toFixed(1)} s (${master}).`,
    failed: "Spark could not start: the error below says why.",
    interrupted:
      "Stopped waiting for Spark; it keeps starting in the background, and the next use waits again.",
  }[state];
  return (
    <p className={`nb-spark-start text-xs ${state === "failed" ? "text-red-700" : "text-slate-500"}`}>
      {text}
    </p>
  );
});
