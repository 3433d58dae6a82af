// Notebook opening benchmark (issue 4): Flint against JupyterLab 4, same machine, same run, same
// Chromium, on two notebooks: the largest file of the corpus and a 1,000-cell notebook made of the
// corpus's cells in order (outputs kept). No kernel starts on either side.
//
// Each run, for each notebook, each app (the order alternates from run to run) gets a fresh
// browser context and opens the notebook twice: "cold" (empty HTTP cache) and then "warm" (the
// app's scripts cached, as when a user opens a second notebook). Stamps, in ms since the
// navigation started (page-probe.ts has the exact definitions):
//  - first cell visible: the first frame with the first cell's content on screen, uncovered;
//  - all cells interactive: every cell of the notebook is in the page, and the last code cell,
//    scrolled to and clicked like a user would, has its editor focused (Monaco in Flint,
//    CodeMirror in JupyterLab). JupyterLab 4's default windowing ("contentVisibility") ends with
//    all cells in the page, like Flint's `content-visibility: auto`, but attaches them a few at a
//    time: its last cell cannot be reached before then, so that wait is part of its figure;
//  - keystroke (warm page, in that editor): keydown -> the character in the editor's DOM,
//    30 keystrokes a run.
// The goal: Flint <= 0.5x JupyterLab's open time; keystroke < 16 ms.
// Run: `npm run bench -- notebook` (needs `pnpm --filter @flint/web build` first).
// BENCH_NOTEBOOK_PARTS ("open,interaction" by default; interaction.ts has the run moments and
// keystrokes of issue 23; "roundtrip" (round-trip.ts) the server's part of a run, no browser), BENCH_NOTEBOOK_RUNS (default 5), FLINT_CORPUS, FLINT_PYTHON_ENV, FLINT_CHROMIUM override defaults;
// BENCH_NOTEBOOK_TIMEOUT (ms a step may take, default 240 s); BENCH_NOTEBOOK_PROFILE=1 adds a CPU
// profile of Flint's warm opens (and of its runs and keystrokes in the interaction part) (top self-time functions, .cpuprofile in the temp directory).
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_LAUNCH_OPTIONS } from "@flint/testing";
import { type Browser, chromium, type Page } from "@playwright/test";
import { quantile, report } from "../stats";
import { profilePage } from "./cpu-profile";
import { runInteractionBench } from "./interaction";
import { probeScript, type TPageTimings, type TProbe } from "./page-probe";
import { runRoundTripBench } from "./round-trip";
import {
  ensureJupyterLab,
  FLINT_DEMO,
  importIntoFlint,
  startFlint,
  startJupyterLab,
  type TServer,
} from "./servers";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pythonEnv = process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python");
const CORPUS = process.env.FLINT_CORPUS ?? path.resolve(root, "../shared/corpus/notebooks");
const RUNS = Number(process.env.BENCH_NOTEBOOK_RUNS ?? 5);
// "open" (issue 4) and "interaction" (issue 23, interaction.ts); both by default.
const PARTS = (process.env.BENCH_NOTEBOOK_PARTS ?? "open,interaction").split(",");
const KEYSTROKES = 30;
const BIG_CELLS = 1000;
const STEP_TIMEOUT = Number(process.env.BENCH_NOTEBOOK_TIMEOUT ?? 240_000);
const VIEWPORT = { width: 1280, height: 800 };

type TApp = "flint" | "jupyterlab";
type TIpynbCell = { cell_type: string; source?: unknown; id?: string; [key: string]: unknown };
type TIpynb = { cells: TIpynbCell[]; metadata?: Record<string, unknown>; [key: string]: unknown };
type TBenchNotebook = { label: string; fileName: string; text: string; cells: number; targetIndex: number };
type TOpen = { firstCell: number; allCells: number; interactive: number; timings: TPageTimings };
type TSample = { app: TApp; notebook: string; cold: TOpen; warm: TOpen; keystrokes: number[] };

function corpusFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...corpusFiles(full));
    else if (entry.name.endsWith(".ipynb")) found.push(full);
  }
  return found.sort();
}

function lastCodeCell(cells: TIpynbCell[]): number {
  const index = cells.findLastIndex((cell) => cell.cell_type === "code");
  if (index < 0) throw new Error("the notebook has no code cell to type in");
  return index;
}

/** The two notebooks: the corpus's largest file as it is, and 1,000 cells of the corpus in order. */
function benchNotebooks(): TBenchNotebook[] {
  const files = corpusFiles(CORPUS);
  if (files.length === 0) throw new Error(`no .ipynb under ${CORPUS}`);
  const largest = files.reduce((best, file) => (statSync(file).size > statSync(best).size ? file : best));
  const largestText = readFileSync(largest, "utf8");
  const largestCells = (JSON.parse(largestText) as TIpynb).cells;
  const cells: TIpynbCell[] = [];
  for (const file of files) {
    for (const cell of (JSON.parse(readFileSync(file, "utf8")) as TIpynb).cells) {
      if (cells.length === BIG_CELLS) break;
      // nbformat 4.5 ids must be unique in the notebook; the corpus's own may repeat across files.
      cells.push({ ...cell, id: `bench-${cells.length + 1}` });
    }
  }
  if (cells.length < BIG_CELLS) throw new Error(`the corpus has only ${cells.length} cells`);
  const big: TIpynb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "python3", display_name: "Python 3", language: "python" },
      language_info: { name: "python" },
    },
    cells,
  };
  return [
    {
      label: `largest: ${path.basename(largest)}`,
      fileName: "largest.ipynb",
      text: largestText,
      cells: largestCells.length,
      targetIndex: lastCodeCell(largestCells),
    },
    {
      label: `${BIG_CELLS} cells of the corpus`,
      fileName: "thousand-cells.ipynb",
      text: JSON.stringify(big),
      cells: BIG_CELLS,
      targetIndex: lastCodeCell(cells),
    },
  ];
}

const probeOf = (page: Page) => page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.marks);

/** One navigation: the three stamps of page-probe.ts, with the scroll and click done like a user. */
async function openOnce(page: Page, url: string, notebook: TBenchNotebook): Promise<TOpen> {
  try {
    return await openAndStamp(page, url, notebook);
  } catch (error) {
    // Say where it stuck: the stamps so far, what has focus, and a screenshot.
    const screenshot = path.join(os.tmpdir(), `flint-bench-notebook-failure-${Date.now()}.png`);
    await page.screenshot({ path: screenshot }).catch(() => undefined);
    const state = await page
      .evaluate(() => ({
        marks: (window as unknown as { __bench?: TProbe }).__bench?.marks,
        focus: document.activeElement?.outerHTML.slice(0, 300),
      }))
      .catch((reason: Error) => reason.message);
    throw new Error(
      `${url}: ${(error as Error).message.split("\n")[0]}\nstate: ${JSON.stringify(state)}\nscreenshot: ${screenshot}`,
    );
  }
}

async function openAndStamp(page: Page, url: string, notebook: TBenchNotebook): Promise<TOpen> {
  await page.goto(url, { waitUntil: "commit", timeout: STEP_TIMEOUT });
  const options = { timeout: STEP_TIMEOUT };
  await page.waitForFunction(
    () => (window as unknown as { __bench: TProbe }).__bench.marks.firstCell !== undefined,
    null,
    options,
  );
  await page.waitForFunction(
    () => (window as unknown as { __bench: TProbe }).__bench.marks.allCells !== undefined,
    null,
    options,
  );
  // A click the page moved away from (a late layout shift) is tried again, like a user would.
  for (let attempt = 1; ; attempt++) {
    const point = await page.evaluate(
      (index) => (window as unknown as { __bench: TProbe }).__bench.scrollTo(index),
      notebook.targetIndex,
    );
    await page.mouse.click(point.x, point.y);
    try {
      await page.waitForFunction(
        () => (window as unknown as { __bench: TProbe }).__bench.marks.editorFocus !== undefined,
        null,
        { timeout: attempt < 3 ? 5000 : STEP_TIMEOUT },
      );
      if (attempt > 1) process.stdout.write(`  (the editor took ${attempt} clicks)\n`);
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  const marks = await probeOf(page);
  const timings = await page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.timings());
  return {
    firstCell: marks.firstCell ?? Number.NaN,
    allCells: marks.allCells ?? Number.NaN,
    interactive: marks.editorFocus ?? Number.NaN,
    timings,
  };
}

/** Keystrokes in the focused editor, on a fresh comment line so no completion pops up. */
async function typeKeystrokes(page: Page): Promise<number[]> {
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  await page.keyboard.type("# ");
  await page.waitForTimeout(300);
  const times: number[] = [];
  for (let i = 0; i < KEYSTROKES; i++) {
    await page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.armKeystroke("x"));
    await page.keyboard.press("x");
    const latency = await page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.keystroke);
    if (latency === null) throw new Error("the keystroke was not armed");
    times.push(latency);
    await page.waitForTimeout(40);
  }
  return times;
}

type TStorageState = Awaited<ReturnType<typeof signedInFlintState>>;

async function measure(
  browser: Browser,
  app: TApp,
  url: string,
  notebook: TBenchNotebook,
  storageState: TStorageState | undefined,
): Promise<Omit<TSample, "app" | "notebook">> {
  // Fresh per app and run: an empty HTTP cache for the cold open, no earlier run's state.
  const context = await browser.newContext({ viewport: VIEWPORT, storageState });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.addInitScript({ content: probeScript({ app, cellCount: notebook.cells }) });
    const cold = await openOnce(page, url, notebook);
    await page.goto("about:blank");
    const warm = await openOnce(page, url, notebook);
    const keystrokes = await typeKeystrokes(page);
    if (errors.length > 0)
      process.stdout.write(`  (${app} page errors: ${errors.join(" | ").slice(0, 300)})\n`);
    return { cold, warm, keystrokes };
  } finally {
    // No beforeunload: the typed keystrokes are thrown away with the context.
    await context.close();
  }
}

async function signedInFlintState(browser: Browser, flint: TServer) {
  const context = await browser.newContext();
  const response = await context.request.post(`${flint.url}/api/auth/sign-in/email`, {
    data: { email: FLINT_DEMO.email, password: FLINT_DEMO.password },
    headers: { origin: flint.url },
  });
  if (!response.ok()) throw new Error(`signing in to Flint answered ${response.status()}`);
  const state = await context.storageState();
  await context.close();
  return state;
}

/**
 * BENCH_NOTEBOOK_PROFILE=1: one more warm open in Flint under the V8 sampling profiler; prints the
 * functions with the most self time (a forced layout counts as self time of the JS that read the
 * layout) and writes the .cpuprofile for Chromium's DevTools.
 */
async function profileFlintOpen(
  browser: Browser,
  url: string,
  notebook: TBenchNotebook,
  state: TStorageState,
) {
  const context = await browser.newContext({ viewport: VIEWPORT, storageState: state });
  try {
    const page = await context.newPage();
    await page.addInitScript({ content: probeScript({ app: "flint", cellCount: notebook.cells }) });
    await openOnce(page, url, notebook);
    await page.goto(new URL("/projects", url).href);
    const { result: open, summary } = await profilePage(
      page,
      `flint-bench-notebook-${notebook.fileName}`,
      () => openOnce(page, url, notebook),
      { intervalUs: 500, top: 8 },
    );
    process.stdout.write(
      `\nFlint profile, warm open of ${notebook.label}: first cell ${ms(open.firstCell)}, editor ${ms(open.interactive)}; ` +
        `top self time (chunks under apps/web/.next/static/chunks/, line:column):\n`,
    );
    for (const [where, total] of summary.top) process.stdout.write(`  ${ms(total).padStart(9)}  ${where}\n`);
    process.stdout.write(`  profile: ${summary.file}\n`);
  } finally {
    await context.close();
  }
}

const ms = (value: number) => `${value.toFixed(0)} ms`;
const median = (values: number[]) => quantile(values, 0.5);

function printResults(samples: TSample[], notebooks: TBenchNotebook[]): boolean {
  let isEveryGoalMet = true;
  const of = (app: TApp, notebook: string) => samples.filter((s) => s.app === app && s.notebook === notebook);
  for (const notebook of notebooks) {
    const flint = of("flint", notebook.label);
    const lab = of("jupyterlab", notebook.label);
    process.stdout.write(
      `\n${notebook.label} (${notebook.cells} cells, ${(notebook.text.length / 1e6).toFixed(1)} MB)\n`,
    );
    for (const phase of ["warm", "cold"] as const) {
      for (const [metric, name] of [
        ["firstCell", "first cell visible"],
        ["interactive", "all cells interactive"],
      ] as const) {
        const flintMs = median(flint.map((s) => s[phase][metric]));
        const labMs = median(lab.map((s) => s[phase][metric]));
        const ratio = flintMs / labMs;
        const isMet = ratio <= 0.5;
        isEveryGoalMet &&= isMet;
        report(`  ${phase}: ${name}, JupyterLab`, ms(labMs), "baseline");
        report(`  ${phase}: ${name}, Flint`, ms(flintMs), "");
        report(
          `  ${phase}: ${name}, ratio Flint / JupyterLab`,
          `${ratio.toFixed(2)}×`,
          `≤ 0.50×  ${isMet ? "met" : "NOT met"}`,
        );
      }
    }
    const flintKeys = flint.flatMap((s) => s.keystrokes);
    const labKeys = lab.flatMap((s) => s.keystrokes);
    const isKeyMet = median(flintKeys) < 16;
    isEveryGoalMet &&= isKeyMet;
    report(
      `  keystroke to DOM, JupyterLab, median (p95)`,
      `${median(labKeys).toFixed(1)} (${quantile(labKeys, 0.95).toFixed(1)}) ms`,
      "",
    );
    report(
      `  keystroke to DOM, Flint, median (p95)`,
      `${median(flintKeys).toFixed(1)} (${quantile(flintKeys, 0.95).toFixed(1)}) ms`,
      `median < 16 ms (issue 4)  ${isKeyMet ? "met" : "NOT met"}`,
    );
    report(
      `  keystroke ratio Flint / JupyterLab`,
      `${(median(flintKeys) / median(labKeys)).toFixed(2)}×`,
      "",
    );
    // Where the time went, warm page, medians: to tell fetching from rendering.
    for (const [app, list] of [
      ["JupyterLab", lab],
      ["Flint", flint],
    ] as const) {
      const t = (pick: (open: TOpen) => number) => median(list.map((s) => pick(s.warm)));
      process.stdout.write(
        `  ${app.padEnd(10)} warm breakdown: HTML first byte ${ms(t((o) => o.timings.responseStart))}, ` +
          `DOMContentLoaded ${ms(t((o) => o.timings.domContentLoaded))}, ` +
          `${t((o) => o.timings.scripts).toFixed(0)} scripts (${(t((o) => o.timings.scriptBytes) / 1e6).toFixed(1)} MB), ` +
          `notebook fetch ${ms(t((o) => o.timings.notebookFetchStart))}→${ms(t((o) => o.timings.notebookFetchEnd))} ` +
          `(${(t((o) => o.timings.notebookBytes) / 1e6).toFixed(2)} MB), ` +
          `first cell ${ms(t((o) => o.firstCell))}, all cells in page ${ms(t((o) => o.allCells))}, ` +
          `editor focused ${ms(t((o) => o.interactive))}; ` +
          `long tasks ${ms(t((o) => o.timings.longTasksMs))} (longest ${ms(t((o) => o.timings.longestTaskMs))})\n`,
      );
    }
  }
  return isEveryGoalMet;
}

/**
 * Code cells of the 1,000-cell notebook to click and type a first "x" into: short (the whole
 * source is in the editor's lines), without an "x" (the probe waits for one), spread over cells
 * 31-399 (JupyterLab's windowed list reaches far cells only after a long trickle).
 */
function firstKeyCells(text: string): number[] {
  const cells = (JSON.parse(text) as TIpynb).cells;
  const source = (cell: TIpynbCell) =>
    Array.isArray(cell.source) ? cell.source.join("") : String(cell.source ?? "");
  const fits = cells
    .map((cell, index) => ({ cell, index }))
    .filter(
      ({ cell, index }) => index > 30 && index < 400 && cell.cell_type === "code" && !/x/i.test(source(cell)),
    )
    .filter(({ cell }) => source(cell).split("\n").length <= 6 && source(cell).trim() !== "");
  const step = Math.max(1, Math.floor(fits.length / 30));
  return fits.filter((_, i) => i % step === 0).map(({ index }) => index);
}

const notebooks = benchNotebooks();
const jupyterLabVersion = ensureJupyterLab(pythonEnv);
const labRoot = mkdtempSync(path.join(os.tmpdir(), "flint-bench-notebook-lab-"));
const servers: TServer[] = [];
const stopAll = () => Promise.all(servers.map((server) => server.stop()));
process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
let browser: Browser | null = null;
try {
  const flint = await startFlint(root, pythonEnv);
  servers.push(flint);
  const lab = await startJupyterLab(pythonEnv, labRoot);
  servers.push(lab);
  browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
  const flintState = await signedInFlintState(browser, flint);
  process.stdout.write(
    `Notebook open benchmark (${os.cpus().length} cores): Flint vs JupyterLab ${jupyterLabVersion}, ` +
      `${RUNS} runs, Chromium ${browser.version()}, viewport ${VIEWPORT.width}×${VIEWPORT.height}\n`,
  );

  // A fresh copy per run and app: the keystrokes of one run never reach the next one's file.
  const urlFor = async (app: TApp, notebook: TBenchNotebook, run: number): Promise<string> => {
    const name = `run${run}-${notebook.fileName}`;
    if (app === "flint") return `${flint.url}${await importIntoFlint(flint.url, name, notebook.text)}`;
    writeFileSync(path.join(labRoot, name), notebook.text);
    // `reset` starts from an empty workspace, so no earlier run's layout is restored.
    return `${lab.url}/lab/tree/${name}?reset&token=${lab.token}`;
  };
  // Issue 4: opening the two notebooks, and keystrokes in the opened notebook.
  const runOpenBench = async (): Promise<boolean> => {
    const samples: TSample[] = [];
    const measureApp = async (app: TApp, notebook: TBenchNotebook, run: number) => {
      const url = await urlFor(app, notebook, run);
      const sample = await measure(browser!, app, url, notebook, app === "flint" ? flintState : undefined);
      return { app, notebook: notebook.label, ...sample };
    };
    // Run 0 warms the servers (Next's and Tornado's first requests, the file cache) and is dropped.
    for (let run = 0; run <= RUNS; run++) {
      for (const notebook of notebooks) {
        const apps: TApp[] = run % 2 === 0 ? ["flint", "jupyterlab"] : ["jupyterlab", "flint"];
        for (const app of apps) {
          const sample = await measureApp(app, notebook, run);
          if (run > 0) samples.push(sample);
          process.stdout.write(
            `run ${run}${run === 0 ? " (warm-up)" : ""} ${notebook.fileName} ${app.padEnd(10)} ` +
              `cold ${ms(sample.cold.firstCell)} / ${ms(sample.cold.interactive)}, ` +
              `warm ${ms(sample.warm.firstCell)} / ${ms(sample.warm.interactive)}, ` +
              `key ${median(sample.keystrokes).toFixed(1)} ms\n`,
          );
        }
      }
    }
    const isOpenMet = printResults(samples, notebooks);
    if (process.env.BENCH_NOTEBOOK_PROFILE)
      for (const notebook of notebooks)
        await profileFlintOpen(browser!, await urlFor("flint", notebook, RUNS + 1), notebook, flintState);
    return isOpenMet;
  };

  let isMet = true;
  if (PARTS.includes("open")) isMet &&= await runOpenBench();
  if (PARTS.includes("roundtrip")) {
    const cookie = flintState.cookies.map((entry) => `${entry.name}=${entry.value}`).join("; ");
    await runRoundTripBench({ flint, lab, cookie });
  }
  if (PARTS.includes("interaction")) {
    const thousand = notebooks[1]!;
    isMet &&= await runInteractionBench({
      browser,
      flint,
      lab,
      labRoot,
      flintState,
      thousandCells: {
        text: thousand.text,
        cells: thousand.cells,
        firstKeyIndexes: firstKeyCells(thousand.text),
      },
    });
  }
  // The round-trip part has no goal of its own (its figures explain the interaction part's).
  const hasGoals = PARTS.includes("open") || PARTS.includes("interaction");
  if (hasGoals) process.stdout.write(`\n${isMet ? "Every goal met." : "Some goals NOT met (see above)."}\n`);
} finally {
  await browser?.close();
  await stopAll();
}
