// Load bench (issue 16): many people running short cells at once, through the path their browsers
// take: a built Flint server, its PostgreSQL, sign-up and tokens, one notebook WebSocket per
// person, the broker, sandboxed kernels. No in-memory stand-ins.
//
// N people (default 50, BENCH_LOAD_USERS), each with their own notebook: the first half are
// members of one shared project, the others each own a project. Each person's socket runs a short
// cell (`n = globals().get('n', 0) + 1; n`) every BENCH_LOAD_INTERVAL_MS (default 2000, started at
// a random offset), waiting for the previous run to finish; 10 readers GET notebooks over REST
// once a second, as 10 open browsers' polling would. A phase lasts BENCH_LOAD_SECONDS (default 60).
//
// The phases alternate N=1 and N=N (BENCH_LOAD_ROUNDS rounds, default 2) so both see the same
// machine state; every run of every phase is reported (no best round). A run's latency is from
// sending `run` on the socket to the `cell` event that says it finished (which comes only once the
// outputs are stored). After each phase every notebook is read back over REST: a stored count
// other than the last one its socket saw is a lost output. The server's event-loop delay and
// memory come from its `/api/health` (site administrator's details), sampled every 2 s.
//
// Run: `npm run bench -- load` (builds nothing: run `pnpm --filter @flint/web build` first).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBuiltFlint, type TFlintServer } from "@flint/testing";
import {
  call,
  connect,
  createNotebook,
  descendantsRss,
  expectStatus,
  runCell,
  signUp,
  sleep,
  type TBenchPerson,
} from "../flint-client";
import { quantile, report } from "../stats";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const USERS = Number(process.env.BENCH_LOAD_USERS ?? 50);
const INTERVAL_MS = Number(process.env.BENCH_LOAD_INTERVAL_MS ?? 2000);
const PHASE_S = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const ROUNDS = Number(process.env.BENCH_LOAD_ROUNDS ?? 2);
const READERS = 10;
const PORT = Number(process.env.BENCH_LOAD_PORT ?? 3391);
const ADMIN_TOKEN = "flint_pat_load_bench_admin_0123456789abcdef";
const CELL = "n = globals().get('n', 0) + 1\nn";

type TPhase = { people: number; latencies: number[]; errors: string[]; reads: number[]; readErrors: number };

async function setUp(server: TFlintServer): Promise<TBenchPerson[]> {
  const shared = await call(server, "POST", "/api/v1/projects", {
    token: ADMIN_TOKEN,
    json: { name: "Load shared" },
  });
  expectStatus(shared, 201, "shared project");
  const people: TBenchPerson[] = [];
  for (let index = 0; index < USERS; index++) {
    const { email, token } = await signUp(server, "load", index);
    let projectId: string;
    if (index < USERS / 2) {
      projectId = shared.body.id as string;
      const added = await call(server, "POST", `/api/v1/projects/${projectId}/members`, {
        token: ADMIN_TOKEN,
        json: { email, role: "editor" },
      });
      expectStatus(added, 201, `member ${index}`);
    } else {
      const own = await call(server, "POST", "/api/v1/projects", { token, json: { name: `Load ${index}` } });
      expectStatus(own, 201, `project ${index}`);
      projectId = own.body.id as string;
    }
    const notebookId = await createNotebook(server, token, projectId, `Load ${index}`, [["tick", CELL]]);
    people.push({ email, token, notebookId, socket: null, lastSeen: 0 });
  }
  return people;
}

const runOnce = (person: TBenchPerson, timeoutMs?: number) => runCell(person, "tick", timeoutMs);

/** Checks every notebook's stored result against the last count its socket saw. */
async function countLostOutputs(server: TFlintServer, people: TBenchPerson[]): Promise<string[]> {
  const lost: string[] = [];
  for (const person of people) {
    if (person.lastSeen === 0) continue;
    const document = await call(server, "GET", `/api/v1/notebooks/${person.notebookId}`, {
      token: person.token,
    });
    const text = JSON.stringify(document.body.notebook);
    if (
      !text.includes(`"text/plain":["${person.lastSeen}"]`) &&
      !text.includes(`"text/plain":"${person.lastSeen}"`)
    )
      lost.push(`${person.email}: stored output is not ${person.lastSeen}`);
  }
  return lost;
}

type TSample = { rssBytes: number; loopP99: number; loopMax: number };

async function sampleServer(server: TFlintServer, samples: TSample[], until: () => boolean): Promise<void> {
  while (!until()) {
    const health = await call(server, "GET", "/api/health", { token: ADMIN_TOKEN }).catch(() => null);
    const stats = health?.body.process as
      | { rssBytes: number; eventLoopDelayMs: { p99: number; max: number; windowMs: number } }
      | undefined;
    if (stats && stats.eventLoopDelayMs.windowMs > 0)
      samples.push({
        rssBytes: stats.rssBytes,
        loopP99: stats.eventLoopDelayMs.p99,
        loopMax: stats.eventLoopDelayMs.max,
      });
    await sleep(2000);
  }
}

async function runPhase(server: TFlintServer, people: TBenchPerson[]): Promise<TPhase> {
  const phase: TPhase = { people: people.length, latencies: [], errors: [], reads: [], readErrors: 0 };
  const endAt = performance.now() + PHASE_S * 1000;
  const isOver = () => performance.now() >= endAt;
  const runner = async (person: TBenchPerson) => {
    await sleep(Math.random() * INTERVAL_MS);
    while (!isOver()) {
      const started = performance.now();
      try {
        phase.latencies.push(await runOnce(person));
      } catch (error) {
        phase.errors.push(`${person.email}: ${(error as Error).message}`);
      }
      await sleep(Math.max(0, INTERVAL_MS - (performance.now() - started)));
    }
  };
  const reader = async (index: number) => {
    while (!isOver()) {
      const person = people[(index * 7 + phase.reads.length) % people.length]!;
      const started = performance.now();
      const answer = await call(server, "GET", `/api/v1/notebooks/${person.notebookId}`, {
        token: person.token,
      }).catch(() => null);
      if (answer?.status === 200) phase.reads.push(performance.now() - started);
      else phase.readErrors++;
      await sleep(1000);
    }
  };
  await Promise.all([...people.map(runner), ...Array.from({ length: READERS }, (_, index) => reader(index))]);
  return phase;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  process.stdout.write(
    `Load: ${USERS} people (half in one shared project), a run every ${INTERVAL_MS} ms each, ${READERS} REST readers, ${PHASE_S} s phases, ${ROUNDS} rounds of N=1 then N=${USERS}\n`,
  );
  const server = await startBuiltFlint({
    root,
    port: PORT,
    demo: { password: "load bench demo password", token: ADMIN_TOKEN },
  });
  try {
    const people = await setUp(server);
    for (const person of people) await connect(server, person);
    // Every kernel starts before anything is measured (kernel start is not this bench's subject).
    const firsts = await Promise.allSettled(people.map((person) => runOnce(person, 600_000)));
    const failedStarts = firsts.filter((result) => result.status === "rejected");
    process.stdout.write(`${people.length} kernels started (${failedStarts.length} failed)\n`);
    if (failedStarts.length > 0) throw new Error(String((failedStarts[0] as PromiseRejectedResult).reason));

    const phases: TPhase[] = [];
    const samples: TSample[] = [];
    let isDone = false;
    const sampler = sampleServer(server, samples, () => isDone);
    for (let round = 0; round < ROUNDS; round++) {
      for (const group of [people.slice(0, 1), people]) {
        const phase = await runPhase(server, group);
        phase.errors.push(...(await countLostOutputs(server, group)));
        phases.push(phase);
        process.stdout.write(
          `round ${round + 1}, N=${group.length}: ${phase.latencies.length} runs, p50 ${ms(quantile(phase.latencies, 0.5))}, p95 ${ms(quantile(phase.latencies, 0.95))}, errors ${phase.errors.length}\n`,
        );
      }
    }
    isDone = true;
    await sampler;

    const merge = (people: number) => {
      const chosen = phases.filter((phase) => phase.people === people);
      return {
        latencies: chosen.flatMap((phase) => phase.latencies),
        errors: chosen.flatMap((phase) => phase.errors),
        reads: chosen.flatMap((phase) => phase.reads),
        readErrors: chosen.reduce((sum, phase) => sum + phase.readErrors, 0),
      };
    };
    const one = merge(1);
    const many = merge(USERS);
    for (const [label, figures] of [
      ["N=1", one],
      [`N=${USERS}`, many],
    ] as const) {
      report(`${label}: runs`, String(figures.latencies.length), "-");
      for (const q of [0.5, 0.95, 0.99])
        report(`${label}: run latency p${q * 100}`, ms(quantile(figures.latencies, q)), "-");
      report(`${label}: errors and lost outputs`, String(figures.errors.length), "0");
      report(`${label}: REST read p95`, ms(quantile(figures.reads, 0.95)), "-");
      report(`${label}: REST read errors`, String(figures.readErrors), "0");
    }
    const ratio = quantile(many.latencies, 0.95) / quantile(one.latencies, 0.95);
    report(`p95 N=${USERS} / p95 N=1`, `${ratio.toFixed(2)}x`, "<= 5x");
    const loopP99 = samples.map((sample) => sample.loopP99);
    report("server event-loop delay p99 (10 s windows, median)", ms(quantile(loopP99, 0.5)), "-");
    report(
      "server event-loop delay max (worst window)",
      ms(Math.max(0, ...samples.map((s) => s.loopMax))),
      "-",
    );
    report(
      "server RSS (largest sample)",
      `${(Math.max(0, ...samples.map((s) => s.rssBytes)) / 1e6).toFixed(0)} MB`,
      "-",
    );
    report(
      "Jupyter and kernels RSS (end)",
      `${(descendantsRss(server.child.pid!) / 1e9).toFixed(2)} GB`,
      "-",
    );
    for (const error of [...one.errors, ...many.errors].slice(0, 10))
      process.stdout.write(`  error: ${error}\n`);
    for (const person of people) person.socket?.close();
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
