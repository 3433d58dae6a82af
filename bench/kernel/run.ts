// Kernel benchmarks (issue 3), all measured in one run on this machine:
//  (a) `1+1` round trip through Flint's broker vs the same Jupyter Server driven directly with
//      @jupyterlab/services (the broker's overhead);
//  (b) time from "new notebook" to the first `1+1` result, with the warm pool and without;
//  (c) `spark.range(10**8).selectExpr("sum(id)").collect()` through Flint vs a bare pyspark process;
//  (d) `1+1` through Flint's broker with its own Jupyter Server vs through Jupyter Enterprise
//      Gateway 3.3 (`JUPYTER_URL`; in its own environment, `.flint/gateway` or FLINT_GATEWAY_ENV),
//      alternating run by run;
//  (s) (c)'s job in a notebook on its project's shared Spark (Spark Connect), run as a person runs
//      it (a built Flint server, a signed-up person, the notebook's socket), vs the same bare
//      pyspark process, alternating run by run (needs `pnpm --filter @flint/web build`).
// Run: `npm run bench -- kernel` (or `node --import tsx kernel/run.ts` in bench/). Prints figures
// and ratios. BENCH_KERNEL_PARTS=c (any of a, b, c, d, s) runs only those parts; BENCH_SPARK_ROUNDS sets
// the rounds of (c) (fresh JVMs each); BENCH_SPARK_RUNS and BENCH_SPARK_WARMUP the measured and
// warm-up runs per side and round;
// BENCH_SPARK_PAUSE_MS the pause before each of its runs; BENCH_VERBOSE=1 prints every run.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  buildJupyterEnv,
  createKernelRuntime,
  probeBubblewrap,
  type TCellRunResult,
  type TKernelRuntime,
} from "@flint/kernel";
import { findGatewayEnv, MemoryCellRunStore, startTestGateway } from "@flint/kernel/testing";
import { startBuiltFlint } from "@flint/testing";
import { KernelManager, ServerConnection } from "@jupyterlab/services";
import {
  call,
  connect,
  createNotebook,
  expectStatus,
  runCell,
  signUp,
  type TBenchPerson,
} from "../flint-client";
import { quantile, report, time } from "../stats";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pythonEnv = process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python");
const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 60);
const PARTS = process.env.BENCH_KERNEL_PARTS ?? "abcds";
const SPARK_RUNS = Number(process.env.BENCH_SPARK_RUNS ?? 8);
// Rounds of (c), each with a fresh kernel and a fresh bare process (see benchSpark).
const SPARK_ROUNDS = Number(process.env.BENCH_SPARK_ROUNDS ?? 10);
// The JVM keeps getting faster at this job for about ten runs (JIT compilation).
const SPARK_WARMUP = Number(process.env.BENCH_SPARK_WARMUP ?? 10);
const VERBOSE = process.env.BENCH_VERBOSE === "1";
// A quiet moment before each run of (c), so that it does not start while the previous run's
// aftermath (see benchSpark) is still using the two cores.
const SPARK_PAUSE_MS = Number(process.env.BENCH_SPARK_PAUSE_MS ?? 300);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = () => undefined;

// Kernels run as a user's do: in their project's sandbox (FLINT_SANDBOX=off measures without).
const SANDBOX = (process.env.FLINT_SANDBOX ?? "auto") as "auto" | "bwrap" | "off";
const IS_SANDBOXED = SANDBOX !== "off" && probeBubblewrap().isWorking;

function runtimeWith(store: MemoryCellRunStore, warmPoolSize: number): TKernelRuntime {
  return createKernelRuntime({
    pythonEnv,
    dataDir: mkdtempSync(path.join(os.tmpdir(), "flint-bench-")),
    store,
    warmPoolSize,
    log: quiet,
    // Every notebook of the bench belongs to one project.
    sandbox: { mode: SANDBOX, apiPort: 39_998, projectOf: async () => "bench" },
  });
}

async function runOnce(runtime: TKernelRuntime, notebookId: string, cellId: string): Promise<TCellRunResult> {
  const [result] = await runtime.broker.runAndWait(notebookId, [cellId], 600_000);
  if (result?.status !== "ok")
    throw new Error(
      `cell ${cellId} ended ${result?.status}: ${JSON.stringify(result?.outputs).slice(0, 300)}`,
    );
  return result;
}

async function benchRoundTrip(): Promise<void> {
  const store = new MemoryCellRunStore();
  const runtime = runtimeWith(store, 0);
  await runtime.start();
  try {
    // Both kernels first finish starting Spark (it starts in the background and would otherwise
    // compete for the CPU with the measured round trips).
    const [cell, sparkUp] = store.setNotebook("rt", ["1+1", "spark.range(1).count()"]);
    await runOnce(runtime, "rt", sparkUp!);
    for (let i = 0; i < 5; i++) await runOnce(runtime, "rt", cell!);
    const broker: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) broker.push(await time(() => runOnce(runtime, "rt", cell!)));

    const { settings } = await runtime.jupyter.ready();
    const manager = new KernelManager({ serverSettings: ServerConnection.makeSettings(settings) });
    await manager.ready;
    // In the same project folder as the broker's kernel: with sandboxes, Jupyter starts a
    // kernel only in a project's folder, and both sides then run in one.
    const kernel = await manager.startNew({ name: "flint-spark", path: "bench" } as { name: string });
    try {
      await kernel.requestExecute({ code: "spark.range(1).count()" }).done;
      for (let i = 0; i < 5; i++) await kernel.requestExecute({ code: "1+1" }).done;
      const direct: number[] = [];
      for (let i = 0; i < ROUND_TRIPS; i++)
        direct.push(await time(() => kernel.requestExecute({ code: "1+1" }).done));
      const brokerP50 = quantile(broker, 0.5);
      const directP50 = quantile(direct, 0.5);
      report("(a) 1+1 via @jupyterlab/services directly, p50", `${directP50.toFixed(1)} ms`, "baseline");
      report("(a) 1+1 via Flint's broker, p50", `${brokerP50.toFixed(1)} ms`, "≤ baseline + 5 ms");
      report("(a) broker overhead at p50", `${(brokerP50 - directP50).toFixed(1)} ms`, "≤ 5 ms");
      report("(a) ratio broker / direct at p50", `${(brokerP50 / directP50).toFixed(2)}×`, "");
      report(
        "(a) broker p95 / direct p95",
        `${quantile(broker, 0.95).toFixed(1)} / ${quantile(direct, 0.95).toFixed(1)} ms`,
        "",
      );
    } finally {
      await kernel.shutdown();
      manager.dispose();
    }
  } finally {
    await runtime.stop();
  }
}

async function benchFirstResult(warmPoolSize: number): Promise<number> {
  const store = new MemoryCellRunStore();
  const runtime = runtimeWith(store, warmPoolSize);
  await runtime.start();
  try {
    await runtime.ready(180_000);
    // A notebook of the project the person ran before: with sandboxes, warm kernels belong to a
    // project, and the pool keeps one for the project that last started a kernel. Its own kernel
    // is shut down so it does not compete with the measured start.
    const [earlier] = store.setNotebook("earlier", ["1"]);
    await runOnce(runtime, "earlier", earlier!);
    await runtime.broker.session("earlier").shutdown();
    if (warmPoolSize > 0) {
      const deadline = Date.now() + 180_000;
      while (runtime.status().jupyter.warm < warmPoolSize && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      // Let the warm kernel finish its warm-up so the pool is as a user would find it.
      await new Promise((r) => setTimeout(r, 3000));
    }
    const [cell] = store.setNotebook("new", ["1+1"]);
    return await time(() => runOnce(runtime, "new", cell!));
  } finally {
    await runtime.stop();
  }
}

// (c) The same Spark job through Flint and in a bare pyspark process, apples to apples:
// - One warm process per side for the whole measurement: the Flint kernel (started by Flint's
//   runtime, driven through the broker as a notebook cell) and one Python process with a
//   SparkSession and nothing else (bare-pyspark.py, driven over stdin/stdout). Each JVM gets the
//   same warm-up runs, then the runs alternate (bare, Flint, Flint, bare, bare, Flint ..., each
//   after a short pause), so load from other work on this shared machine, JIT warm-up and each
//   side's aftermath affect both sides alike.
// - Both sessions have the same Spark settings: the bare process is given exactly the settings
//   Flint's kernel computes for this environment (flint.kernel.session.load_settings: master
//   `local[*]` or SPARK_MASTER, spark.sql.shuffle.partitions=8 in local mode, UI and console
//   progress off, Arrow on, Flint's log4j2 configuration, FLINT_SPARK_CONF on top) and the same
//   log level, in the same environment (Flint's allow-listed kernel environment plus
//   PYSPARK_PYTHON, as the kernelspec sets). The benchmark then reads the SparkConf back from
//   both live sessions and stops if they differ in anything but per-process ids and ports.
// - Both are timed from this process, from sending the request to having the result: for Flint
//   that includes the broker, Jupyter Server, ipykernel and Flint's per-cell hooks (job tagging,
//   progress), which is what the goal is about; for bare pyspark it includes a pipe round trip
//   (its in-process time is printed too, to show that this costs nothing noticeable).
// - Reported: the median of each side, the ratio of the medians, and the median of the ratios of
//   the runs paired in time (bare run i vs Flint run i), which is the least sensitive to drift.

const SPARK_CODE = 'spark.range(10**8).selectExpr("sum(id)").collect()';
// Per-process values that necessarily differ between two sessions.
const PER_PROCESS_CONF = new Set([
  "spark.app.id",
  "spark.app.startTime",
  "spark.app.submitTime",
  "spark.driver.port",
]);

type TSparkSettings = { conf: Record<string, string>; logLevel: string };

/** The environment a Flint kernel gets (see packages/kernel supervisor and flint.install). */
function kernelLikeEnv(): Record<string, string> {
  return {
    ...buildJupyterEnv(process.env),
    PYSPARK_PYTHON: path.join(pythonEnv, "bin", "python"),
    // A sandboxed kernel's Spark driver binds loopback (its network namespace has nothing else);
    // the bare side does the same, so the two SparkConfs stay identical.
    ...(IS_SANDBOXED ? { SPARK_LOCAL_IP: "127.0.0.1", SPARK_LOCAL_HOSTNAME: "localhost" } : {}),
  };
}

/** The Spark settings the Flint kernel computes in `env` (flint.kernel.session.load_settings). */
function flintSparkSettings(env: Record<string, string>): TSparkSettings {
  const script =
    "import json; from flint.kernel.session import load_settings; s = load_settings(); " +
    "print(json.dumps({'conf': s.conf, 'logLevel': s.log_level, 'errors': s.errors}))";
  const out = execFileSync(path.join(pythonEnv, "bin", "python"), ["-c", script], { encoding: "utf8", env });
  const settings = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as TSparkSettings & { errors: string[] };
  if (settings.errors.length > 0)
    throw new Error(`Flint's Spark settings are invalid: ${settings.errors.join("; ")}`);
  return { conf: settings.conf, logLevel: settings.logLevel };
}

/** A bare pyspark process (bare-pyspark.py) answering one request at a time. */
class BarePyspark {
  private readonly waiting: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  private stderrTail = "";

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("@bench ")) this.waiting.shift()?.resolve(line.slice("@bench ".length));
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
    });
    child.on("exit", (code) => {
      const error = new Error(`bare pyspark exited (${code}): ${this.stderrTail}`);
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    });
  }

  /** Starts the process and waits until its SparkSession exists. */
  static async start(env: Record<string, string>, settings: TSparkSettings): Promise<BarePyspark> {
    const child = spawn(
      path.join(pythonEnv, "bin", "python"),
      [fileURLToPath(new URL("bare-pyspark.py", import.meta.url))],
      {
        env: {
          ...env,
          FLINT_BENCH_SPARK_SETTINGS: JSON.stringify(settings),
          FLINT_BENCH_SPARK_CODE: SPARK_CODE,
        },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    const bare = new BarePyspark(child);
    const ready = await bare.next();
    if (ready !== "ready") throw new Error(`bare pyspark said ${ready}`);
    return bare;
  }

  private next(): Promise<string> {
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private request(command: string): Promise<string> {
    const reply = this.next();
    this.child.stdin!.write(`${command}\n`);
    return reply;
  }

  /** The live session's SparkConf. */
  async conf(): Promise<Record<string, string>> {
    return JSON.parse((await this.request("conf")).replace(/^conf /, ""));
  }

  /** Runs the job once; `inProcessMs` is the time measured inside the Python process. */
  async run(): Promise<{ inProcessMs: number; result: string }> {
    const [, ms, result] = (await this.request("run")).match(/^done (\S+) (.*)$/) ?? [];
    return { inProcessMs: Number(ms), result: JSON.parse(result ?? '""') };
  }

  /** Stops the SparkSession and waits for the process to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin!.end("quit\n");
    await exited;
  }
}

/** The text a cell printed (its stream outputs). */
function printed(result: TCellRunResult): string {
  return result.outputs
    .map((output) => (output.output_type === "stream" ? [output.text].flat().join("") : ""))
    .join("");
}

/** The `text/plain` of a cell's execute_result. */
function resultText(result: TCellRunResult): string {
  const output = result.outputs.find((o) => o.output_type === "execute_result");
  const text = output?.output_type === "execute_result" ? output.data["text/plain"] : undefined;
  return [text ?? ""].flat().join("");
}

/**
 * The cell's time from its start to its end as Flint's progress summary has it
 * (`flint.spark.durationMs`), or undefined if the summary was not there yet at the reply: when
 * Spark's listener had not reported the cell's jobs finished by the cell's end, the kernel sends
 * the final progress, summary included, as an update right after the reply.
 */
function sparkSummaryMs(result: TCellRunResult): number | undefined {
  const progress = result.outputs.filter(
    (output) =>
      output.output_type === "display_data" && "application/vnd.flint.spark-progress+json" in output.data,
  );
  if (progress.length === 0) throw new Error("(c) the cell's output has no Spark progress display");
  for (const output of progress) {
    const summary =
      "metadata" in output
        ? (output.metadata?.["flint.spark"] as { durationMs?: number } | undefined)
        : undefined;
    if (typeof summary?.durationMs === "number") return summary.durationMs;
  }
  return undefined;
}

/** Keys whose values differ between the two sessions (per-process values left out). */
function confDifferences(a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((key) => !PER_PROCESS_CONF.has(key) && a[key] !== b[key]).sort();
}

interface TSparkRound {
  bareTimes: number[];
  bareInProcess: number[];
  flintTimes: number[];
  flintInKernel: number[];
  summariesAfterReply: number;
  flintConf: Record<string, string>;
}

/**
 * Run `i` of an alternating pair, each side after {@link SPARK_PAUSE_MS}: bare, Flint, Flint,
 * bare, bare, Flint ...: whatever one side leaves running after its run (JIT compilation, GC, the
 * broker saving outputs) overlaps the other side's next run equally often.
 */
async function alternate(i: number, runBare: () => Promise<void>, runFlint: () => Promise<void>) {
  for (const side of i % 2 === 0 ? [runBare, runFlint] : [runFlint, runBare]) {
    await pause(SPARK_PAUSE_MS);
    await side();
  }
}

/** One round of (c): a fresh kernel and a fresh bare process, warmed up, then alternating runs. */
async function sparkRound(round: number): Promise<TSparkRound> {
  const env = kernelLikeEnv();
  const settings = flintSparkSettings(env);
  const store = new MemoryCellRunStore();
  const runtime = runtimeWith(store, 0);
  await runtime.start();
  const bare = await BarePyspark.start(env, settings);
  try {
    const confCode = "import json as _j; print(_j.dumps(dict(spark.sparkContext.getConf().getAll())))";
    const [confCell, job] = store.setNotebook("spark", [confCode, SPARK_CODE]);
    const flintConf = JSON.parse(printed(await runOnce(runtime, "spark", confCell!))) as Record<
      string,
      string
    >;
    const differences = confDifferences(flintConf, await bare.conf());
    if (differences.length > 0)
      throw new Error(`(c) Spark settings differ between the sides: ${differences.join(", ")}`);

    const measured: TSparkRound = {
      bareTimes: [],
      bareInProcess: [],
      flintTimes: [],
      flintInKernel: [],
      summariesAfterReply: 0,
      flintConf,
    };
    for (let i = 0; i < SPARK_WARMUP + SPARK_RUNS; i++) {
      let bareRun = { inProcessMs: 0, result: "" };
      let bareMs = 0;
      let flintRun: TCellRunResult | undefined;
      let flintMs = 0;
      await alternate(
        i,
        async () => {
          bareMs = await time(async () => {
            bareRun = await bare.run();
          });
        },
        async () => {
          flintMs = await time(async () => {
            flintRun = await runOnce(runtime, "spark", job!);
          });
        },
      );
      if (flintRun && resultText(flintRun) !== bareRun.result)
        throw new Error(`(c) results differ: Flint ${resultText(flintRun)}, bare ${bareRun.result}`);
      const cellMs = flintRun ? sparkSummaryMs(flintRun) : undefined;
      if (VERBOSE)
        process.stdout.write(
          `(c) round ${round} ${i < SPARK_WARMUP ? "warm-up" : "run"} ${i}: bare ${bareMs.toFixed(0)} ms ` +
            `(${bareRun.inProcessMs.toFixed(0)} in process), Flint ${flintMs.toFixed(0)} ms ` +
            `(${cellMs ?? "summary after the reply, not"} in the kernel)\n`,
        );
      if (i < SPARK_WARMUP) continue;
      measured.bareTimes.push(bareMs);
      measured.bareInProcess.push(bareRun.inProcessMs);
      measured.flintTimes.push(flintMs);
      if (cellMs === undefined) measured.summariesAfterReply++;
      else measured.flintInKernel.push(cellMs);
    }
    return measured;
  } finally {
    await bare.stop();
    await runtime.stop();
  }
}

/**
 * (c) over several rounds, each with a fresh pair of JVMs. Within one pair the job's own speed
 * differs by up to ±20% between the two JVMs (JIT and memory layout), consistently for every run
 * of that pair, which is far more than Flint's few milliseconds: one pair decides nothing, the
 * median over pairs does.
 */
async function benchSpark(): Promise<void> {
  const rounds: TSparkRound[] = [];
  for (let round = 0; round < SPARK_ROUNDS; round++) {
    const measured = await sparkRound(round);
    rounds.push(measured);
    const ratio = quantile(measured.flintTimes, 0.5) / quantile(measured.bareTimes, 0.5);
    process.stdout.write(
      `(c) round ${round + 1} of ${SPARK_ROUNDS}: bare ${quantile(measured.bareTimes, 0.5).toFixed(0)} ms, ` +
        `Flint ${quantile(measured.flintTimes, 0.5).toFixed(0)} ms, ratio ${ratio.toFixed(2)}×\n`,
    );
  }
  const all = (pick: (round: TSparkRound) => number[]) => rounds.flatMap(pick);
  const bareTimes = all((round) => round.bareTimes);
  const flintTimes = all((round) => round.flintTimes);
  const flintInKernel = all((round) => round.flintInKernel);
  const summariesAfterReply = rounds.reduce((sum, round) => sum + round.summariesAfterReply, 0);
  const roundRatios = rounds.map((round) => quantile(round.flintTimes, 0.5) / quantile(round.bareTimes, 0.5));
  const pairRatios = rounds.flatMap((round) =>
    round.flintTimes.map((flintMs, i) => flintMs / round.bareTimes[i]!),
  );
  const flintConf = rounds[0]!.flintConf;
  const range = (values: number[]) =>
    `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ms`;
  const shown = ["spark.master", "spark.sql.shuffle.partitions", "spark.ui.enabled"]
    .map((key) => `${key}=${flintConf[key]}`)
    .join(", ");
  process.stdout.write(
    `(c) both sessions: ${shown}; SparkConf identical on both sides ` +
      `(${Object.keys(flintConf).length} keys, ids and ports aside); ${SPARK_ROUNDS} rounds of fresh JVMs, ` +
      `each ${SPARK_WARMUP} warm-up + ${SPARK_RUNS} measured runs per side, alternating\n`,
  );
  report(
    "(c) sum over 10^8 rows, bare pyspark, median",
    `${quantile(bareTimes, 0.5).toFixed(0)} ms`,
    "baseline",
  );
  report("(c) bare pyspark, range of runs", range(bareTimes), "");
  report(
    "(c) bare pyspark, median inside its process",
    `${quantile(
      all((round) => round.bareInProcess),
      0.5,
    ).toFixed(0)} ms`,
    "",
  );
  report("(c) sum over 10^8 rows, through Flint, median", `${quantile(flintTimes, 0.5).toFixed(0)} ms`, "");
  report(
    "(c) through Flint, median of the cell's time in the kernel (start to end)",
    (flintInKernel.length > 0 ? `${quantile(flintInKernel, 0.5).toFixed(0)} ms` : "-") +
      (summariesAfterReply > 0 ? ` (${summariesAfterReply} runs' summary came after the reply)` : ""),
    "",
  );
  report("(c) through Flint, range of runs", range(flintTimes), "");
  report(
    "(c) ratio per round of fresh JVMs",
    roundRatios.map((ratio) => `${ratio.toFixed(2)}×`).join(" "),
    "",
  );
  report(
    "(c) median over rounds of Flint / bare pyspark",
    `${quantile(roundRatios, 0.5).toFixed(2)}×`,
    "≤ 1.1×",
  );
  report(
    "(c) median of all per-pair ratios Flint / bare",
    `${quantile(pairRatios, 0.5).toFixed(2)}×`,
    "≤ 1.1×",
  );
}

/**
 * (s): (c)'s job on a project's shared Spark, through everything a person's run crosses (the
 * notebook's socket, the broker, Jupyter Server, the kernel in its sandbox, the relays to the
 * project's Spark Connect server), against the bare pyspark process of (c) with the settings a
 * dedicated kernel gets. The two sides run Spark differently (a Connect server's own JVM at
 * background priority against a classic session in the process), so there is no goal: the
 * ratio says what the shared mode costs on this job. One server (starting it is not the subject),
 * warm-up runs first, then the sides alternate like (c).
 */
async function benchSparkShared(): Promise<void> {
  const server = await startBuiltFlint({
    root,
    port: Number(process.env.BENCH_KERNEL_PORT ?? 3394),
    demo: { password: "kernel bench demo password", token: "flint_pat_kernel_bench_admin_0123456789abcdef" },
    timeoutMs: 300_000,
  });
  const env = kernelLikeEnv();
  const bare = await BarePyspark.start(env, flintSparkSettings(env));
  try {
    const { email, token } = await signUp(server, "kernel-shared", 0);
    const project = await call(server, "POST", "/api/v1/projects", { token, json: { name: "Shared (c)" } });
    expectStatus(project, 201, "project");
    const notebookId = await createNotebook(server, token, project.body.id as string, "Sum", [
      ["job", SPARK_CODE],
    ]);
    const person: TBenchPerson = { email, token, notebookId, socket: null, lastSeen: 0 };
    await connect(server, person);
    const bareTimes: number[] = [];
    const sharedTimes: number[] = [];
    const runs = SPARK_RUNS * 2;
    for (let i = 0; i < SPARK_WARMUP + runs; i++) {
      let bareMs = 0;
      let sharedMs = 0;
      await alternate(
        i,
        async () => {
          bareMs = await time(() => bare.run());
        },
        async () => {
          sharedMs = await runCell(person, "job", 600_000);
        },
      );
      if (VERBOSE)
        process.stdout.write(
          `(s) ${i < SPARK_WARMUP ? "warm-up" : "run"} ${i}: bare ${bareMs.toFixed(0)} ms, shared ${sharedMs.toFixed(0)} ms\n`,
        );
      if (i < SPARK_WARMUP) continue;
      bareTimes.push(bareMs);
      sharedTimes.push(sharedMs);
    }
    person.socket?.close();
    const pairRatios = sharedTimes.map((sharedMs, i) => sharedMs / bareTimes[i]!);
    process.stdout.write(
      `(s) one project server, ${SPARK_WARMUP} warm-up + ${runs} measured runs per side, alternating\n`,
    );
    report(
      "(s) sum over 10^8 rows, bare pyspark, median",
      `${quantile(bareTimes, 0.5).toFixed(0)} ms`,
      "baseline",
    );
    report(
      "(s) the same through a notebook on the project's shared Spark, median",
      `${quantile(sharedTimes, 0.5).toFixed(0)} ms`,
      "",
    );
    report(
      "(s) shared / bare, ratio of the medians",
      `${(quantile(sharedTimes, 0.5) / quantile(bareTimes, 0.5)).toFixed(2)}×`,
      "- (printed)",
    );
    report(
      "(s) shared / bare, median of the per-pair ratios",
      `${quantile(pairRatios, 0.5).toFixed(2)}×`,
      "-",
    );
  } finally {
    await bare.stop();
    await server.stop();
  }
}

/** (d): the same cell through Flint's own Jupyter Server and through Enterprise Gateway, alternating. */
async function benchGateway(): Promise<void> {
  const gateway = await startTestGateway(findGatewayEnv(root), pythonEnv);
  const ownStore = new MemoryCellRunStore();
  const gatewayStore = new MemoryCellRunStore();
  const own = runtimeWith(ownStore, 0);
  const viaGateway = createKernelRuntime({
    pythonEnv,
    dataDir: mkdtempSync(path.join(os.tmpdir(), "flint-bench-gateway-")),
    store: gatewayStore,
    warmPoolSize: 0,
    jupyterUrl: gateway.url,
    jupyterToken: gateway.token,
    log: quiet,
    sandbox: { mode: "off", apiPort: 0, projectOf: async () => "bench" },
  });
  await own.start();
  await viaGateway.start();
  try {
    const [ownCell] = ownStore.setNotebook("own", ["1+1"]);
    const [gatewayCell] = gatewayStore.setNotebook("gateway", ["1+1"]);
    for (let i = 0; i < 5; i++) {
      await runOnce(own, "own", ownCell!);
      await runOnce(viaGateway, "gateway", gatewayCell!);
    }
    const ownTimes: number[] = [];
    const gatewayTimes: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const sides = [
        () => time(() => runOnce(own, "own", ownCell!)).then((ms) => ownTimes.push(ms)),
        () => time(() => runOnce(viaGateway, "gateway", gatewayCell!)).then((ms) => gatewayTimes.push(ms)),
      ];
      if (i % 2 === 1) sides.reverse();
      for (const side of sides) await side();
    }
    const ownP50 = quantile(ownTimes, 0.5);
    const gatewayP50 = quantile(gatewayTimes, 0.5);
    report("(d) 1+1 through Flint's own Jupyter Server, p50", `${ownP50.toFixed(1)} ms`, "baseline");
    report("(d) 1+1 through Enterprise Gateway 3.3, p50", `${gatewayP50.toFixed(1)} ms`, "");
    report("(d) ratio gateway / own at p50", `${(gatewayP50 / ownP50).toFixed(2)}×`, "");
    report(
      "(d) gateway p95 / own p95",
      `${quantile(gatewayTimes, 0.95).toFixed(1)} / ${quantile(ownTimes, 0.95).toFixed(1)} ms`,
      "",
    );
  } finally {
    await viaGateway.stop();
    await own.stop();
    gateway.stop();
  }
}

process.stdout.write(`Kernel benchmarks (${os.cpus().length} cores), Python env ${pythonEnv}\n\n`);
if (PARTS.includes("a")) await benchRoundTrip();
if (PARTS.includes("b")) {
  const cold = await benchFirstResult(0);
  const warm = await benchFirstResult(1);
  report("(b) new notebook → first 1+1, no warm pool", `${cold.toFixed(0)} ms`, "baseline");
  report("(b) new notebook → first 1+1, warm pool of 1", `${warm.toFixed(0)} ms`, "< 1000 ms");
  report("(b) ratio warm / cold", `${(warm / cold).toFixed(3)}×`, "");
}
if (PARTS.includes("c")) await benchSpark();
if (PARTS.includes("d")) await benchGateway();
if (PARTS.includes("s")) await benchSparkShared();
process.exit(0);
