/**
 * How busy this server process is, for site administrators' `/api/health` and `bench/load`: its
 * resident memory and how late its event loop ran timers in the last completed 10-second window
 * (a loop blocked by one request delays every socket and page of every user).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

const WINDOW_MS = 10_000;

/** Event-loop delay of one window, in milliseconds. */
export type TLoopDelay = { p50: number; p99: number; max: number; windowMs: number };

let isMonitoring = false;
let lastWindow: TLoopDelay = { p50: 0, p99: 0, max: 0, windowMs: 0 };

function toMs(nanoseconds: number): number {
  return Math.round(nanoseconds / 1e4) / 100;
}

function startMonitor(): void {
  const monitor = monitorEventLoopDelay({ resolution: 10 });
  monitor.enable();
  let windowStart = Date.now();
  setInterval(() => {
    lastWindow = {
      p50: toMs(monitor.percentile(50)),
      p99: toMs(monitor.percentile(99)),
      max: toMs(monitor.max),
      windowMs: Date.now() - windowStart,
    };
    monitor.reset();
    windowStart = Date.now();
  }, WINDOW_MS).unref();
}

/**
 * This process's resident memory and the event-loop delay of the last completed window (zeros
 * until one has passed since the first call, which starts the monitor).
 */
export function readProcessStats(): { rssBytes: number; eventLoopDelayMs: TLoopDelay } {
  if (!isMonitoring) {
    startMonitor();
    isMonitoring = true;
  }
  return { rssBytes: process.memoryUsage.rss(), eventLoopDelayMs: lastWindow };
}
