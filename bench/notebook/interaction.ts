// The moments of work a person feels (issue 23), Flint against JupyterLab 4 in one run, both with a
// warm kernel, the apps alternating round by round:
//  - run: Ctrl+Enter, Shift+Enter and a click on ▶ on `n = globals().get('n', 0) + 1; f"RUN-{n}"`,
//    from the keydown (pointerdown for ▶) to the frame that shows the new `'RUN-<n+1>'`; Flint's ▶
//    is the cell's own button, JupyterLab's is the toolbar's "run this cell and advance";
//  - quiet, then "loaded": the same rounds while one busy-looping process (a CPU burner, one core's
//    worth on this 2-core machine) runs beside both apps;
//  - the first keystroke after clicking into a code cell of the 1,000-cell notebook (pressed as soon
//    as the editor has focus), the click -> editor focus time, and a later keystroke in that cell
//    (300 ms on, the editor settled); both pages open, the apps taking turns key by key;
//  - keystrokes in one cell while another cell streams 30 lines a second (print + sleep).
// Times are measured in the page (page-probe.ts). Run: `BENCH_NOTEBOOK_PARTS=interaction npm run
// bench -- notebook`; BENCH_NOTEBOOK_ROUNDS (default 24) rounds per load, BENCH_NOTEBOOK_FIRST_KEYS
// (default 20) first keystrokes per app; BENCH_NOTEBOOK_TRACE=1 (or flint, jupyterlab) prints
// what the page's main thread did between each slow keystroke and its paint (key-trace.ts).
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContextOptions, Page } from "@playwright/test";
import { quantile, report } from "../stats";
import { profilePage } from "./cpu-profile";
import { traceKeystrokes } from "./key-trace";
import { probeScript, RUN_FRAMES, type TProbe } from "./page-probe";
import { importIntoFlint, type TServer } from "./servers";

type TApp = "flint" | "jupyterlab";
type TMoment = "ctrl-enter" | "shift-enter" | "run-button";
type TLoad = "quiet" | "loaded";
type TStorageState = BrowserContextOptions["storageState"];

const ROUNDS = Number(process.env.BENCH_NOTEBOOK_ROUNDS ?? 24);
const FIRST_KEYS = Number(process.env.BENCH_NOTEBOOK_FIRST_KEYS ?? 20);
const STREAM_KEYS = 30;
const TYPING = 2;
const STREAM = 3;
const VIEWPORT = { width: 1280, height: 800 };
const RUN_SOURCE = `n = globals().get('n', 0) + 1; f"RUN-{n}"`;
const STREAM_SOURCE =
  "import time\nfor i in range(600):\n    print(f'line {i}', flush=True)\n    time.sleep(1 / 30)";

/**
 * The interaction notebook: the run cell, a cell Shift+Enter lands in, a cell to type in, and a
 * streaming cell below it (its growing output never moves the cell being typed in).
 */
function interactionNotebook(): string {
  const code = (id: string, source: string) => ({
    cell_type: "code",
    id,
    source,
    metadata: {},
    outputs: [],
    execution_count: null,
  });
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "python3", display_name: "Python 3", language: "python" },
      language_info: { name: "python" },
    },
    cells: [
      code("run", RUN_SOURCE),
      code("next", "m = 1"),
      code("typing", "# "),
      code("stream", STREAM_SOURCE),
    ],
  });
}

/**
 * The page's WebSocket frames as Chromium's network service saw them (CDP `Network`): when the
 * command went out and the result came in on the wire, before the page's main thread gets to
 * them. Compared with the page's own stamps, it says whether time between command and result is
 * the server's or the page's (a busy main thread dispatches the result message late).
 */
type TFrameLog = Array<[kind: "sent" | "recv", atMs: number, text: string]>;

type TSide = { app: TApp; page: Page; frames: TFrameLog; close: () => Promise<void> };

async function watchFrames(page: Page): Promise<TFrameLog> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const frames: TFrameLog = [];
  // Binary frames (JupyterLab's v1 kernel protocol, Flint's co-editing) come base64-encoded.
  const text = (frame: { opcode: number; payloadData: string }) =>
    frame.opcode === 2 ? Buffer.from(frame.payloadData, "base64").toString("latin1") : frame.payloadData;
  cdp.on("Network.webSocketFrameSent", (event) =>
    frames.push(["sent", event.timestamp * 1000, text(event.response)]),
  );
  cdp.on("Network.webSocketFrameReceived", (event) =>
    frames.push(["recv", event.timestamp * 1000, text(event.response)]),
  );
  return frames;
}

const SELECTORS = {
  flint: { cell: ".nb-cell", source: ".nb-source, .monaco-editor", editor: ".monaco-editor" },
  jupyterlab: { cell: ".jp-Notebook .jp-Cell", source: ".jp-InputArea-editor", editor: ".cm-editor" },
} as const;

async function clickIntoCell(side: TSide, index: number): Promise<void> {
  const { cell, source, editor } = SELECTORS[side.app];
  const target = side.page.locator(cell).nth(index).locator(source).first();
  await target.click({ position: { x: 60, y: 8 } });
  await side.page
    .waitForFunction(
      ({ cell, editor, index }) => {
        const active = document.activeElement;
        return Boolean(active?.closest(editor) && document.querySelectorAll(cell)[index]?.contains(active));
      },
      { cell, editor, index },
      { timeout: 30_000 },
    )
    .catch(async (error: Error) => {
      const file = path.join(os.tmpdir(), `flint-bench-interaction-${side.app}-${Date.now()}.png`);
      await side.page.screenshot({ path: file });
      const focus = await side.page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200));
      throw new Error(
        `${side.app}: cell ${index}'s editor did not get focus (${error.message}); focus: ${focus}; ${file}`,
      );
    });
  // Move the caret to the end so a keystroke never lands inside the source's text.
  await side.page.keyboard.press("End");
}

type TRunSplit = { toSocket: number; server: number; toScreen: number; wire?: number };

async function measureRun(
  side: TSide,
  moment: TMoment,
  onStamps?: (split: TRunSplit) => void,
): Promise<number> {
  const { page, app } = side;
  await clickIntoCell(side, 0);
  await page.waitForTimeout(150);
  const framesFrom = side.frames.length;
  await page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.armRun(0));
  if (moment === "ctrl-enter") await page.keyboard.press("Control+Enter");
  else if (moment === "shift-enter") await page.keyboard.press("Shift+Enter");
  else if (app === "flint") {
    const cell = page.locator(".nb-cell").nth(0);
    await cell.hover();
    await cell.getByRole("button", { name: "Run cell" }).click();
  } else {
    await page
      .locator('.jp-NotebookPanel-toolbar [data-command="notebook:run-cell-and-select-next"]')
      .click();
  }
  const latency = await page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.run);
  if (latency === null) throw new Error("the run was not armed");
  const stamps = await page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.runStamps);
  const frames = side.frames.slice(framesFrom);
  const sentFrame = frames.find(([kind, , text]) => kind === "sent" && RUN_FRAMES.sent[app].test(text));
  const resultFrame = frames.find(
    ([kind, at, text]) => kind === "recv" && sentFrame && at >= sentFrame[1] && RUN_FRAMES.result.test(text),
  );
  // BENCH_NOTEBOOK_FRAMES=1: every frame from the key to the result, as the wire saw them.
  if (process.env.BENCH_NOTEBOOK_FRAMES === "1" && sentFrame) {
    process.stdout.write(`  ${app} ${moment}:\n`);
    for (const [kind, at, text] of frames)
      process.stdout.write(
        `    ${kind} ${(at - sentFrame[1]).toFixed(1).padStart(7)} ms  ${text.length} B  ${JSON.stringify(text.slice(0, 90))}\n`,
      );
  }
  if (stamps?.sent !== undefined && stamps.received !== undefined && stamps.shown !== undefined)
    onStamps?.({
      toSocket: stamps.sent - stamps.down,
      server: stamps.received - stamps.sent,
      toScreen: stamps.shown - stamps.received,
      ...(sentFrame && resultFrame ? { wire: resultFrame[1] - sentFrame[1] } : {}),
    });
  // Let the app settle (Flint's status event, JupyterLab's kernel idle) before the next moment.
  await page.waitForTimeout(200);
  return latency;
}

async function openSide(
  browser: Browser,
  app: TApp,
  url: string,
  cellCount: number,
  storageState: TStorageState,
): Promise<TSide> {
  const context = await browser.newContext({ viewport: VIEWPORT, storageState });
  const page = await context.newPage();
  page.on("pageerror", (error) =>
    process.stdout.write(`  (${app} page error: ${error.message.slice(0, 200)})\n`),
  );
  await page.addInitScript({ content: probeScript({ app, cellCount }) });
  const frames = await watchFrames(page);
  await page.goto(url);
  // JupyterLab's windowed list adds far cells late: the first cell on screen is enough to start.
  await page
    .locator(SELECTORS[app].cell)
    .nth(Math.min(cellCount, 4) - 1)
    .waitFor({ timeout: 120_000 });
  return { app, page, frames, close: () => context.close() };
}

/** Starts JupyterLab's kernel for `name` (the lab is started with notebook_starts_kernel=False). */
async function startLabSession(lab: TServer & { token: string }, name: string): Promise<void> {
  const response = await fetch(`${lab.url}/api/sessions?token=${lab.token}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ path: name, name, type: "notebook", kernel: { name: "python3" } }),
  });
  if (!response.ok) throw new Error(`starting JupyterLab's kernel answered ${response.status}`);
}

/**
 * BENCH_NOTEBOOK_TRACE: an app's name traces that app's keystrokes; "1" traces both apps' while a
 * cell streams, and Flint's first keystrokes (one page can be traced at a time there).
 */
function isTraced(app: TApp): boolean {
  const trace = process.env.BENCH_NOTEBOOK_TRACE;
  return trace === "1" || trace === app;
}

function startBurner(): ChildProcess {
  return spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
}

async function firstKeystrokes(
  side: TSide,
  indexes: number[],
): Promise<{ key: number[]; focus: number[]; later: number[] }> {
  const key: number[] = [];
  const focus: number[] = [];
  const later: number[] = [];
  const { editor, cell } = SELECTORS[side.app];
  for (const index of indexes) {
    // Leave the previous editor (command mode), as a person's next click would.
    await side.page.keyboard.press("Escape");
    const point = await side.page.evaluate(
      (i) => (window as unknown as { __bench: TProbe }).__bench.scrollTo(i),
      index,
    );
    await side.page.evaluate(
      (i) => (window as unknown as { __bench: TProbe }).__bench.armFirstKeystroke(i, "x"),
      index,
    );
    const clickedAt = await side.page.evaluate(() => performance.now());
    await side.page.mouse.click(point.x, point.y);
    const focusedAt = await side.page.waitForFunction(
      ({ cell, editor, index }) => {
        const active = document.activeElement;
        const isIn = Boolean(
          active?.closest(editor) && document.querySelectorAll(cell)[index]?.contains(active),
        );
        return isIn ? performance.now() : false;
      },
      { cell, editor, index },
      { polling: "raf" },
    );
    focus.push(((await focusedAt.jsonValue()) as number) - clickedAt);
    await side.page.keyboard.press("x");
    const latency = await side.page.evaluate(
      () => (window as unknown as { __bench: TProbe }).__bench.keystroke,
    );
    if (latency === null) throw new Error("the first keystroke was not armed");
    key.push(latency);
    // A later key in the same editor, once it has settled: what the first key's extra cost is
    // measured against (a slow notebook-wide path would slow both).
    await side.page.waitForTimeout(300);
    await side.page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.armKeystroke("x"));
    await side.page.keyboard.press("x");
    const next = await side.page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.keystroke);
    if (next === null) throw new Error("the later keystroke was not armed");
    later.push(next);
    await side.page.waitForTimeout(150);
  }
  return { key, focus, later };
}

async function streamingKeystrokes(side: TSide): Promise<number[]> {
  const { page } = side;
  await clickIntoCell(side, STREAM);
  await page.keyboard.press("Control+Enter");
  // The stream is under way before typing starts.
  await page.waitForFunction(
    ({ selector, index }) =>
      (document.querySelectorAll(selector)[index]?.textContent ?? "").includes("line 5"),
    { selector: SELECTORS[side.app].cell, index: STREAM },
  );
  // Command mode first, as a Jupyter user leaves a cell (Flint under heavy load sometimes kept the
  // focus on the clicked cell instead of its editor when the click came straight from another editor).
  await page.keyboard.press("Escape");
  await clickIntoCell(side, TYPING);
  const times: number[] = [];
  for (let i = 0; i < STREAM_KEYS; i++) {
    await page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.armKeystroke("x"));
    await page.keyboard.press("x");
    const latency = await page.evaluate(() => (window as unknown as { __bench: TProbe }).__bench.keystroke);
    if (latency === null) throw new Error("the keystroke was not armed");
    times.push(latency);
    await page.waitForTimeout(40);
  }
  // The stream must still have been running: typing went on while output arrived.
  const isStillStreaming = await page.evaluate(
    ({ selector, index }) =>
      !(document.querySelectorAll(selector)[index]?.textContent ?? "").includes("line 599"),
    { selector: SELECTORS[side.app].cell, index: STREAM },
  );
  if (!isStillStreaming)
    process.stdout.write(`  (${side.app}: the stream ended before the keystrokes did)\n`);
  // Wait for the stream to end so it does not load the next measurement.
  await page.waitForFunction(
    ({ selector, index }) =>
      (document.querySelectorAll(selector)[index]?.textContent ?? "").includes("line 599"),
    { selector: SELECTORS[side.app].cell, index: STREAM },
    { timeout: 60_000 },
  );
  return times;
}

/**
 * BENCH_NOTEBOOK_PROFILE=1: runs `work` in Flint's page under the V8 sampling profiler and prints
 * the functions with the most self time (a forced layout counts as self time of the JS that read it).
 */
async function profileFlint(side: TSide, label: string, work: () => Promise<unknown>): Promise<void> {
  const { summary } = await profilePage(side.page, `flint-bench-interaction-${label}`, work, {
    intervalUs: 200,
    top: 12,
  });
  process.stdout.write(`\nFlint profile, ${label}: top self time\n`);
  for (const [where, total] of summary.top)
    process.stdout.write(`  ${total.toFixed(1).padStart(8)} ms  ${where}\n`);
  process.stdout.write(`  profile: ${summary.file}\n`);
}

const fmt = (values: number[]) =>
  `${quantile(values, 0.5).toFixed(1)} / ${quantile(values, 0.9).toFixed(1)} / ${quantile(values, 0.95).toFixed(1)} ms`;

/** Runs the interaction part; returns true when every goal of issue 23 measured here is met. */
export async function runInteractionBench(options: {
  browser: Browser;
  flint: TServer;
  lab: TServer & { token: string };
  labRoot: string;
  flintState: TStorageState;
  thousandCells: { text: string; cells: number; firstKeyIndexes: number[] };
}): Promise<boolean> {
  const { browser, flint, lab, labRoot, flintState, thousandCells } = options;
  const text = interactionNotebook();
  const flintUrl = `${flint.url}${await importIntoFlint(flint.url, "interaction.ipynb", text)}`;
  writeFileSync(path.join(labRoot, "interaction.ipynb"), text);
  await startLabSession(lab, "interaction.ipynb");
  const labUrl = `${lab.url}/lab/tree/interaction.ipynb?reset&token=${lab.token}`;
  const sides: TSide[] = [
    await openSide(browser, "flint", flintUrl, 4, flintState),
    await openSide(browser, "jupyterlab", labUrl, 4, undefined),
  ];
  const samples = new Map<string, number[]>();
  const add = (key: string, value: number) => samples.set(key, [...(samples.get(key) ?? []), value]);
  const moments: TMoment[] = ["ctrl-enter", "shift-enter", "run-button"];
  let burner: ChildProcess | null = null;
  try {
    // Warm-up: the first run starts the kernel (Flint) or waits for it (JupyterLab); then a few
    // of each moment so both apps' code paths are compiled.
    for (const side of sides) for (let i = 0; i < 2; i++) for (const m of moments) await measureRun(side, m);
    for (const load of ["quiet", "loaded"] as TLoad[]) {
      if (load === "loaded") {
        burner = startBurner();
        await sides[0]!.page.waitForTimeout(1000);
      }
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order)
          for (const moment of moments) {
            const latency = await measureRun(side, moment, (split) => {
              for (const [part, value] of Object.entries(split))
                add(`${load} ${moment} ${side.app} ${part}`, value);
            });
            add(`${load} ${moment} ${side.app}`, latency);
          }
      }
      for (const side of round0(sides, load)) {
        const times = isTraced(side.app)
          ? await traceKeystrokes(
              side.page,
              `${load} keystrokes while a cell streams, ${side.app}`,
              () => streamingKeystrokes(side),
              16,
            )
          : await streamingKeystrokes(side);
        for (const value of times) add(`${load} stream-keys ${side.app}`, value);
      }
      burner?.kill();
      burner = null;
    }
    if (process.env.BENCH_NOTEBOOK_PROFILE) {
      const flintSide = sides[0]!;
      await profileFlint(flintSide, "5 Ctrl+Enter runs", async () => {
        for (let i = 0; i < 5; i++) await measureRun(flintSide, "ctrl-enter");
      });
      await profileFlint(flintSide, "keystrokes while a cell streams", () => streamingKeystrokes(flintSide));
    }
  } finally {
    burner?.kill();
    for (const side of sides) await side.close();
  }

  // The first keystroke after a click, in the 1,000-cell notebook (a fresh copy each side). Both
  // pages stay open and the apps take turns key by key, so a busy moment of the machine falls on
  // both alike (one app's whole series after the other's did not).
  const bigFlint = `${flint.url}${await importIntoFlint(flint.url, "interaction-1000.ipynb", thousandCells.text)}`;
  writeFileSync(path.join(labRoot, "interaction-1000.ipynb"), thousandCells.text);
  const bigLab = `${lab.url}/lab/tree/interaction-1000.ipynb?reset&token=${lab.token}`;
  const bigSides: TSide[] = [];
  try {
    bigSides.push(await openSide(browser, "flint", bigFlint, thousandCells.cells, flintState));
    bigSides.push(await openSide(browser, "jupyterlab", bigLab, thousandCells.cells, undefined));
    const indexes = thousandCells.firstKeyIndexes.slice(0, FIRST_KEYS);
    const firstKeys = new Map<TApp, number[]>([
      ["flint", []],
      ["jupyterlab", []],
    ]);
    const measureKeys = async () => {
      for (const [i, index] of indexes.entries()) {
        for (const side of i % 2 === 0 ? bigSides : [...bigSides].reverse()) {
          const { key, focus, later } = await firstKeystrokes(side, [index]);
          firstKeys.get(side.app)!.push(...key);
          for (const value of focus) add(`click-focus ${side.app}`, value);
          for (const value of later) add(`later-key ${side.app}`, value);
        }
      }
    };
    const traced = bigSides.find((side) => isTraced(side.app));
    if (traced)
      await traceKeystrokes(
        traced.page,
        `first keystrokes after a click, ${traced.app}`,
        async () => {
          await measureKeys();
          return firstKeys.get(traced.app)!;
        },
        16,
      );
    else await measureKeys();
    for (const [app, values] of firstKeys) for (const value of values) add(`first-key ${app}`, value);
    if (process.env.BENCH_NOTEBOOK_PROFILE) {
      const flintSide = bigSides[0]!;
      const more = thousandCells.firstKeyIndexes.slice(FIRST_KEYS, FIRST_KEYS + 5);
      await profileFlint(flintSide, "first keystrokes after a click, 1,000 cells", () =>
        firstKeystrokes(flintSide, more),
      );
    }
  } finally {
    for (const side of bigSides) await side.close();
  }

  process.stdout.write(`\nInteraction (${ROUNDS} rounds per load, apps alternating; median / p90 / p95):\n`);
  let isEveryGoalMet = true;
  const get = (key: string) => samples.get(key) ?? [];
  for (const load of ["quiet", "loaded"] as TLoad[]) {
    for (const moment of moments) {
      const f = get(`${load} ${moment} flint`);
      const l = get(`${load} ${moment} jupyterlab`);
      const medianRatio = quantile(f, 0.5) / quantile(l, 0.5);
      const p90Ratio = quantile(f, 0.9) / quantile(l, 0.9);
      const isMet = medianRatio <= 0.5 && p90Ratio <= 0.5;
      if (moment === "ctrl-enter") isEveryGoalMet &&= isMet;
      report(`  ${load}: ${moment} → output, JupyterLab`, fmt(l), "baseline");
      report(`  ${load}: ${moment} → output, Flint`, fmt(f), "");
      report(
        `  ${load}: ${moment} ratio median (p90)`,
        `${medianRatio.toFixed(2)}× (${p90Ratio.toFixed(2)}×)`,
        `≤ 0.50× both  ${isMet ? "met" : "NOT met"}`,
      );
      for (const app of ["jupyterlab", "flint"] as const) {
        const part = (name: string) => quantile(get(`${load} ${moment} ${app} ${name}`), 0.5).toFixed(1);
        process.stdout.write(
          `    ${app} medians: key → command on the socket ${part("toSocket")} ms, → result message back ` +
            `${part("server")} ms (on the wire ${part("wire")} ms), → on screen ${part("toScreen")} ms\n`,
        );
      }
    }
    const f = get(`${load} stream-keys flint`);
    const l = get(`${load} stream-keys jupyterlab`);
    const isMet = quantile(f, 0.95) < 16;
    isEveryGoalMet &&= isMet;
    report(`  ${load}: keystroke while a cell streams, JupyterLab`, fmt(l), "");
    report(
      `  ${load}: keystroke while a cell streams, Flint`,
      fmt(f),
      `p95 < 16 ms  ${isMet ? "met" : "NOT met"}`,
    );
  }
  for (const app of ["jupyterlab", "flint"] as const) {
    const key = get(`first-key ${app}`);
    const isMet = quantile(key, 0.95) < 16;
    if (app === "flint") isEveryGoalMet &&= isMet;
    report(`  1,000 cells: click → editor focus, ${app}`, fmt(get(`click-focus ${app}`)), "");
    report(
      `  1,000 cells: first keystroke after the click, ${app}`,
      fmt(key),
      app === "flint" ? `p95 < 16 ms  ${isMet ? "met" : "NOT met"}` : "",
    );
    report(`  1,000 cells: a later keystroke in that cell, ${app}`, fmt(get(`later-key ${app}`)), "");
  }
  return isEveryGoalMet;
}

/** The sides in this load's order for the one-off measurements (alternating between loads). */
function round0(sides: TSide[], load: TLoad): TSide[] {
  return load === "quiet" ? sides : [...sides].reverse();
}
