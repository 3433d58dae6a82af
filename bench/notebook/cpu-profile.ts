// Runs work in a page under V8's sampling profiler (through CDP), keeps the .cpuprofile in the
// temp folder, and answers the functions with the most self time: a forced layout counts as self
// time of the script that read it. Used by the open and the interaction benchmarks.
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";

/** Where the profile was saved, and the `top` places with the most self time (ms), largest first. */
export type TProfileSummary = { file: string; top: [where: string, selfMs: number][] };

/** Profiles `work` in `page` sampling every `intervalUs` microseconds. */
export async function profilePage<T>(
  page: Page,
  name: string,
  work: () => Promise<T>,
  options: { intervalUs: number; top: number },
): Promise<{ result: T; summary: TProfileSummary }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: options.intervalUs });
    await cdp.send("Profiler.start");
    const result = await work();
    const { profile } = await cdp.send("Profiler.stop");
    const file = path.join(os.tmpdir(), `${name.replace(/[^\w.-]+/g, "-")}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const selfMs = new Map<string, number>();
    const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    const deltas = profile.timeDeltas ?? [];
    (profile.samples ?? []).forEach((id, index) => {
      const frame = nodes.get(id);
      if (!frame) return;
      const where = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").pop() ?? ""}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`;
      selfMs.set(where, (selfMs.get(where) ?? 0) + (deltas[index + 1] ?? 0) / 1000);
    });
    const top = [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, options.top);
    return { result, summary: { file, top } };
  } finally {
    await cdp.detach();
  }
}
