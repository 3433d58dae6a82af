#!/usr/bin/env node
// Flint's two commands. `npm start`: set up what is missing, then serve. `npm test`: set up, then
// lint, typecheck and run every test. Plain Node with no dependencies, because it runs before
// anything is installed. Each step is skipped when its inputs have not changed (stamp files in
// the data directory), so a second `npm start` is up in seconds.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PNPM_VERSION = "10.34.8";
const dataDir = path.resolve(root, process.env.FLINT_DATA_DIR ?? ".flint");
const pythonEnv = path.resolve(root, process.env.FLINT_PYTHON_ENV ?? path.join(dataDir, "python"));
// Stamps of the checkout's set-up steps live with the checkout's node_modules, the Python one in
// the environment itself: a new data directory must not redo a build.
const stampDir = path.join(root, "node_modules", ".cache", "flint");

function say(message) {
  process.stdout.write(`\x1b[1m[flint]\x1b[0m ${message}\n`);
}

function fail(message) {
  process.stderr.write(`\x1b[31m[flint] ${message}\x1b[0m\n`);
  process.exit(1);
}

/** Runs a command with inherited output; exits with a clear message when it fails. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    stdio: "inherit",
    cwd: root,
    ...options,
    env: { ...process.env, ...options.env },
  });
  if (result.error) fail(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0 && !options.allowFailure)
    fail(`${command} ${args.join(" ")} failed (exit ${result.status}).`);
  return result.status ?? 1;
}

function has(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Hash of files (path, size, contents) under the given roots, to decide whether a step must run again. */
function hashInputs(entries) {
  const hash = createHash("sha256");
  const walk = (target) => {
    if (!existsSync(target)) return;
    const stat = statSync(target);
    if (stat.isDirectory()) {
      const name = path.basename(target);
      if (
        ["node_modules", ".next", ".turbo", "generated", "__pycache__", ".flint", "test-results"].includes(
          name,
        )
      )
        return;
      for (const child of readdirSync(target).sort()) walk(path.join(target, child));
    } else {
      // Contents, not mtimes: a fresh clone has new mtimes but needs no rebuild of unchanged inputs.
      hash.update(`${path.relative(root, target)}:${stat.size}:`);
      hash.update(stat.size < 5_000_000 ? readFileSync(target) : String(stat.mtimeMs));
    }
  };
  for (const entry of entries) walk(path.join(root, entry));
  return hash.digest("hex");
}

const gatewayEnv = path.join(dataDir, "gateway");
const motoEnv = path.join(dataDir, "moto");

function stampFile(name) {
  // A Python environment's stamp lives in it, so a removed environment is made again.
  if (name === "python") return path.join(pythonEnv, ".flint-stamp");
  if (name === "gateway") return path.join(gatewayEnv, ".flint-stamp");
  return path.join(stampDir, name);
}

function isStampCurrent(name, value) {
  const file = stampFile(name);
  return existsSync(file) && readFileSync(file, "utf8") === value;
}

function writeStamp(name, value) {
  mkdirSync(path.dirname(stampFile(name)), { recursive: true });
  writeFileSync(stampFile(name), value);
}

function pnpmCommand() {
  if (has("pnpm")) {
    const version = execFileSync("pnpm", ["--version"], { encoding: "utf8" }).trim();
    if (version.split(".")[0] === PNPM_VERSION.split(".")[0]) return "pnpm";
  }
  const local = path.join(dataDir, "tools", "node_modules", ".bin", "pnpm");
  if (!existsSync(local)) {
    say(
      `installing pnpm ${PNPM_VERSION} into ${path.relative(root, path.dirname(path.dirname(path.dirname(local))))}`,
    );
    mkdirSync(path.join(dataDir, "tools"), { recursive: true });
    run("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefix",
      path.join(dataDir, "tools"),
      `pnpm@${PNPM_VERSION}`,
    ]);
  }
  // Tools that look for the package manager on PATH (turbo, for one) must find this pnpm too.
  process.env.PATH = `${path.dirname(local)}${path.delimiter}${process.env.PATH ?? ""}`;
  return local;
}

function setupNode(pnpm) {
  const stamp = hashInputs(["pnpm-lock.yaml", "package.json", "pnpm-workspace.yaml"]);
  if (existsSync(path.join(root, "node_modules")) && isStampCurrent("node", stamp)) return;
  say("installing node packages (pnpm install)");
  run(pnpm, ["install", "--frozen-lockfile", "--reporter=append-only"], { env: { CI: "true" } });
  writeStamp("node", stamp);
}

function pythonLauncher() {
  for (const candidate of ["python3", "python"]) if (has(candidate)) return candidate;
  fail("Python 3 is needed (python3 not found). Install Python 3.10 or newer and run again.");
}

function setupPython() {
  // The extras are part of the stamp: an environment made before `connect` was added gets it.
  const extras = "test,connect";
  const stamp = `${hashInputs(["packages/python/pyproject.toml"])}${pythonEnv}[${extras}]`;
  const python = path.join(pythonEnv, "bin", "python");
  if (!existsSync(path.join(root, "packages/python/pyproject.toml"))) return;
  if (existsSync(python) && isStampCurrent("python", stamp)) return;
  if (!existsSync(python)) {
    say(`creating the Python environment in ${path.relative(root, pythonEnv) || pythonEnv}`);
    const launcher = pythonLauncher();
    const status = run(launcher, ["-m", "venv", pythonEnv], { allowFailure: true });
    if (status !== 0) {
      say("python -m venv is unavailable; using virtualenv instead");
      run(launcher, ["-m", "pip", "install", "--user", "--quiet", "virtualenv"]);
      run(launcher, ["-m", "virtualenv", pythonEnv]);
    }
  }
  say(
    "installing Python packages (jupyter_server, ipykernel, pyspark, pandas, pyarrow, altair, mlflow): the first time takes a few minutes",
  );
  run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip"]);
  run(python, [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    "-e",
    // `connect`: the gRPC client of Spark Connect, which the shared project Spark uses.
    `packages/python[${extras}]`,
  ]);
  run(python, ["-m", "flint.install", "--prefix", pythonEnv]);
  writeStamp("python", stamp);
}

/**
 * The Spark class archive (packages/python/flint/spark_archive.py): every Spark JVM maps Spark's
 * classes from it and starts about twice as fast. The module checks its own stamp (the java
 * binary and version, pyspark's version) in a fraction of a second and builds it (half a minute)
 * only when that changed; a failure is a warning, not a failed setup.
 */
function setupSparkArchive() {
  if (!existsSync(path.join(root, "packages/python/flint/spark_archive.py"))) return;
  run(path.join(pythonEnv, "bin", "python"), ["-m", "flint.spark_archive"]);
}

/**
 * Jupyter Enterprise Gateway in an environment of its own, for the tests that run Flint's kernels
 * through it (it pins jupyter_server 1.x and jupyter_client 6.x, which Flint's own environment
 * cannot have). Only `npm test` installs it.
 */
const GATEWAY_SPEC = "jupyter_enterprise_gateway==3.3.0";
function setupGateway() {
  const python = path.join(gatewayEnv, "bin", "python");
  if (existsSync(python) && isStampCurrent("gateway", GATEWAY_SPEC)) return gatewayEnv;
  say(`installing ${GATEWAY_SPEC} into ${path.relative(root, gatewayEnv)} (for its tests)`);
  if (!existsSync(python)) run(pythonLauncher(), ["-m", "venv", gatewayEnv]);
  run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", GATEWAY_SPEC]);
  writeStamp("gateway", GATEWAY_SPEC);
  return gatewayEnv;
}

/**
 * The hadoop-aws jars Spark needs for s3a:// paths (scripts/s3a/pom.xml pins them to pyspark's
 * Hadoop), fetched from Maven Central into the Python environment, which kernels and their
 * sandboxes already see. Only when FLINT_STORAGE_URL is an s3:// URL, and for `npm test`, whose
 * storage tests use a bucket. Jars pyspark already ships (another version of the same library)
 * are left out: two on one class path would be a coin toss.
 */
function setupS3aJars() {
  const stamp = hashInputs(["scripts/s3a/pom.xml"]);
  const target = path.join(pythonEnv, "share", "flint", "s3a-jars");
  if (existsSync(target) && isStampCurrent("s3a-jars", stamp)) return;
  if (!has("mvn")) {
    if (process.getuid?.() !== 0) {
      fail(
        "FLINT_STORAGE_URL is an s3:// URL, and fetching Spark's hadoop-aws jars needs Maven (mvn). Install it (apt-get install maven) and run again.",
      );
    }
    aptInstall(["maven"], "to fetch Spark's hadoop-aws jars for s3:// storage");
  }
  say("fetching hadoop-aws and the AWS SDK modules it uses from Maven Central (for s3:// storage)");
  const fetched = path.join(dataDir, "cache", "s3a-jars");
  rmSync(fetched, { recursive: true, force: true });
  run("mvn", [
    "-q",
    "-B",
    "-f",
    path.join(root, "scripts/s3a/pom.xml"),
    "dependency:copy-dependencies",
    `-DoutputDirectory=${fetched}`,
    "-DincludeScope=runtime",
  ]);
  const sitePackages = readdirSync(path.join(pythonEnv, "lib"))
    .map((name) => path.join(pythonEnv, "lib", name, "site-packages", "pyspark", "jars"))
    .find((dir) => existsSync(dir));
  const artifact = (name) => name.replace(/-\d[\w.-]*\.jar$/, "");
  const shipped = new Set(sitePackages ? readdirSync(sitePackages).map(artifact) : []);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const name of readdirSync(fetched)) {
    if (name.endsWith(".jar") && !shipped.has(artifact(name)))
      copyFileSync(path.join(fetched, name), path.join(target, name));
  }
  writeStamp("s3a-jars", stamp);
}

/**
 * S3 storage is configured for this server (FLINT_STORAGE_URL=s3://...), or the jars are asked
 * for anyway (FLINT_S3A_JARS=fetch: the docker image, which may be run with either storage).
 */
function isS3Storage() {
  return /^s3:\/\//i.test(process.env.FLINT_STORAGE_URL ?? "") || process.env.FLINT_S3A_JARS === "fetch";
}

/**
 * moto's S3 server, for the storage tests (a real S3-compatible server over HTTP, in Python, which
 * this machine already has: docs/deployment.md says why moto). An environment of its own: the
 * kernels' environment does not get it. Only `npm test` installs it.
 */
const MOTO_SPEC = "moto[server]==5.2.5";
function setupMoto() {
  const python = path.join(motoEnv, "bin", "python");
  if (existsSync(python) && isStampCurrent("moto", MOTO_SPEC)) return motoEnv;
  say(`installing ${MOTO_SPEC} into ${path.relative(root, motoEnv)} (for the storage tests)`);
  if (!existsSync(python)) run(pythonLauncher(), ["-m", "venv", motoEnv]);
  run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", MOTO_SPEC]);
  writeStamp("moto", MOTO_SPEC);
  return motoEnv;
}

function setupPrisma(pnpm) {
  const stamp = hashInputs(["prisma/schema.prisma", "pnpm-lock.yaml"]);
  if (existsSync(path.join(root, "packages/db/generated/client/index.js")) && isStampCurrent("prisma", stamp))
    return;
  say("generating the Prisma client");
  // The CLI only reads the URL's shape here; no database is contacted by `generate`.
  run(pnpm, ["--filter", "@flint/db", "exec", "prisma", "generate"], {
    env: {
      DATABASE_URL: process.env.DATABASE_URL ?? "postgresql://flint@127.0.0.1:5432/flint",
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      CHECKPOINT_DISABLE: "1",
    },
  });
  writeStamp("prisma", stamp);
}

function buildWeb(pnpm) {
  const stamp = hashInputs([
    "apps/web/src",
    "apps/web/next.config.ts",
    "apps/web/package.json",
    "packages",
    "pnpm-lock.yaml",
  ]);
  if (existsSync(path.join(root, "apps/web/.next/BUILD_ID")) && isStampCurrent("web-build", stamp)) return;
  say("building the web app (next build)");
  run(pnpm, ["--filter", "@flint/web", "build"], { env: { NEXT_TELEMETRY_DISABLED: "1" } });
  writeStamp("web-build", stamp);
}

function setup() {
  ensureBubblewrap();
  const pnpm = pnpmCommand();
  setupNode(pnpm);
  setupPrisma(pnpm);
  setupPython();
  setupSparkArchive();
  if (isS3Storage()) setupS3aJars();
  buildWeb(pnpm);
  return pnpm;
}

/** Flint's server process environment. */
function serverEnv() {
  return {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    FLINT_DATA_DIR: dataDir,
    FLINT_PYTHON_ENV: pythonEnv,
  };
}

function serverCommand() {
  return [process.execPath, ["--import", "tsx", path.join(root, "apps/web/server.ts")]];
}

function start() {
  setup();
  const [node, args] = serverCommand();
  const child = spawn(node, args, { stdio: "inherit", cwd: path.join(root, "apps/web"), env: serverEnv() });
  // The terminal sends Ctrl-C to the whole process group; the server stops its children itself.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

/** Installs Debian packages that are missing (as root, or through sudo). */
function aptInstall(packages, why) {
  say(`installing ${packages.join(", ")} from Debian's packages (${why})`);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  const apt = (...args) =>
    run(sudo[0] ?? "apt-get", sudo.length ? ["apt-get", ...args] : args, {
      env: { DEBIAN_FRONTEND: "noninteractive" },
    });
  apt("update", "-qq");
  apt("install", "-y", "-qq", ...packages);
}

function ensureChromium() {
  if (existsSync("/usr/bin/chromium")) return;
  aptInstall(["chromium", "fonts-dejavu-core"], "for the end-to-end tests");
}

/**
 * Kernels run in bubblewrap sandboxes (docs/security-model.md). As root, a missing bwrap is
 * installed; otherwise Flint starts without sandboxes and says so in its log and /api/health.
 */
function ensureBubblewrap() {
  if (has("bwrap") || process.env.FLINT_SANDBOX === "off") return;
  if (process.getuid?.() !== 0) {
    say("bubblewrap (bwrap) is not installed: kernels will NOT be sandboxed (apt-get install bubblewrap)");
    return;
  }
  aptInstall(["bubblewrap"], "kernel sandboxes");
}

function test() {
  const pnpm = setup();
  ensureChromium();
  setupGateway();
  setupS3aJars();
  setupMoto();
  const results = [];
  // Each test runner also writes a machine-readable report, so the end of the run can name the
  // failed tests: a CI log is often read from its tail, which the last step's output fills.
  const reportDir = path.join(dataDir, "test-reports");
  rmSync(reportDir, { recursive: true, force: true });
  mkdirSync(reportDir, { recursive: true });
  const report = (name) => path.join(reportDir, name);
  const step = (name, command, args, env = {}, failures = () => []) => {
    say(`── ${name}`);
    const status = run(command, args, { allowFailure: true, env });
    results.push({ name, ok: status === 0, failures: status === 0 ? [] : failures() });
  };
  step("lint (biome)", pnpm, ["exec", "biome", "check", "."]);
  step(
    "typecheck (tsc in every package)",
    pnpm,
    ["exec", "turbo", "run", "typecheck", "--output-logs=errors-only"],
    { TURBO_TELEMETRY_DISABLED: "1" },
  );
  step(
    "unit and integration tests (vitest)",
    pnpm,
    [
      "exec",
      "vitest",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${report("vitest.json")}`,
    ],
    { FLINT_PYTHON_ENV: pythonEnv, FLINT_GATEWAY_ENV: gatewayEnv, FLINT_MOTO_ENV: motoEnv },
    () => vitestFailures(report("vitest.json")),
  );
  if (existsSync(path.join(root, "packages/python/tests"))) {
    step(
      "python tests (pytest)",
      path.join(pythonEnv, "bin", "python"),
      ["-m", "pytest", "-q", `--junitxml=${report("pytest.xml")}`, "packages/python/tests"],
      {},
      () => junitFailures(report("pytest.xml")),
    );
  }
  step(
    "chart renderer over the Vega-Lite corpus and chart security cases (Playwright, Chromium)",
    pnpm,
    ["--filter", "@flint/charts", "test:corpus", "--reporter=list,json"],
    { PLAYWRIGHT_JSON_OUTPUT_FILE: report("charts.json") },
    () => playwrightFailures(report("charts.json")),
  );
  step(
    "end-to-end tests (Playwright, Chromium)",
    pnpm,
    ["exec", "playwright", "test", "--reporter=list,json"],
    { FLINT_PYTHON_ENV: pythonEnv, PLAYWRIGHT_JSON_OUTPUT_FILE: report("e2e.json") },
    () => playwrightFailures(report("e2e.json")),
  );
  const passed = results.filter((result) => result.ok).length;
  const failed = results.length - passed;
  for (const result of results) {
    say(`${result.ok ? "✓" : "✗"} ${result.name}`);
    for (const failure of result.failures) {
      process.stdout.write(`    ✗ ${failure.test}\n`);
      for (const line of failure.message) process.stdout.write(`        ${line}\n`);
    }
  }
  process.stdout.write(`\nsteps: ${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 ? 0 : 1);
}

/** The first lines of a failure message, without colour codes, each cut to a readable length. */
function firstLines(message, count = 4) {
  return (
    String(message ?? "")
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
      .replace(/\x1b\[[0-9;]*m/g, "")
      .split("\n")
      .map((line) => line.trimEnd())
      .filter((line) => line.trim() !== "")
      // Only stack frames in Flint's own code say where the failure is.
      .filter(
        (line) =>
          !line.trimStart().startsWith("at ") || (line.includes(root) && !line.includes("node_modules")),
      )
      .slice(0, count)
      .map((line) => (line.length > 240 ? `${line.slice(0, 240)}…` : line))
  );
}

/** Reads a report a runner wrote; a runner that crashed before writing one is said so. */
function readReport(file, parse) {
  if (!existsSync(file))
    return [{ test: `(no report at ${path.relative(root, file)}: the runner stopped early)`, message: [] }];
  try {
    return parse(readFileSync(file, "utf8"));
  } catch (error) {
    return [{ test: `(unreadable report ${path.relative(root, file)}: ${error.message})`, message: [] }];
  }
}

/** Failed tests in vitest's JSON report (jest's shape); a file that failed to load counts too. */
function vitestFailures(file) {
  return readReport(file, (text) =>
    JSON.parse(text).testResults.flatMap((suite) => {
      const where = path.relative(root, suite.name);
      const failedTests = suite.assertionResults
        .filter((test) => test.status === "failed")
        .map((test) => ({
          test: `${where} › ${test.fullName}`,
          message: firstLines(test.failureMessages?.[0]),
        }));
      if (failedTests.length === 0 && suite.status === "failed")
        return [{ test: where, message: firstLines(suite.message) }];
      return failedTests;
    }),
  );
}

/** Failed tests in Playwright's JSON report, with their file and line. */
function playwrightFailures(file) {
  return readReport(file, (text) => {
    const found = [];
    const walk = (suite, titles) => {
      const inner = suite.title && !suite.title.endsWith(".ts") ? [...titles, suite.title] : titles;
      for (const spec of suite.specs ?? []) {
        if (spec.ok) continue;
        const last = spec.tests?.[0]?.results?.at(-1);
        found.push({
          test: `${spec.file}:${spec.line} › ${[...inner, spec.title].join(" › ")}`,
          message: firstLines(last?.error?.message ?? last?.status),
        });
      }
      for (const child of suite.suites ?? []) walk(child, inner);
    };
    const parsed = JSON.parse(text);
    for (const suite of parsed.suites ?? []) walk(suite, []);
    for (const error of parsed.errors ?? [])
      found.push({ test: "(outside any test)", message: firstLines(error.message) });
    return found;
  });
}

/** Failed tests in pytest's JUnit XML report. */
function junitFailures(file) {
  const fromXml = (text) =>
    text
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#10;/g, "\n")
      .replace(/&amp;/g, "&");
  return readReport(file, (text) => {
    const found = [];
    for (const match of text.matchAll(/<testcase ([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
      const body = match[2] ?? "";
      const problem = body.match(/<(failure|error) message="([^"]*)"/);
      if (!problem) continue;
      const attribute = (name) => match[1].match(new RegExp(`(?:^|\\s)${name}="([^"]*)"`))?.[1] ?? "";
      found.push({
        test: `${attribute("classname")}::${fromXml(attribute("name"))}${problem[1] === "error" ? " (error)" : ""}`,
        message: firstLines(fromXml(problem[2])),
      });
    }
    return found;
  });
}

/** Runs the benchmarks in `bench/` (each prints its figures and ratios against a baseline). */
function bench(args) {
  setup();
  setupGateway();
  const suites = args.length > 0 ? args : ["kernel", "community", "catalog", "charts", "notebook"];
  for (const suite of suites) {
    say(`── benchmark: ${suite}`);
    run(process.execPath, ["--import", "tsx", path.join(root, "bench", suite, "run.ts")], {
      cwd: path.join(root, "bench"),
      env: { FLINT_PYTHON_ENV: pythonEnv, FLINT_DATA_DIR: dataDir, FLINT_GATEWAY_ENV: gatewayEnv },
    });
  }
}

function cli(args) {
  const pnpm = pnpmCommand();
  setupNode(pnpm);
  setupPrisma(pnpm);
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(root, "apps/web/cli.ts"), ...args],
    {
      stdio: "inherit",
      cwd: root,
      env: serverEnv(),
    },
  );
  process.exit(result.status ?? 1);
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case "start":
    start();
    break;
  case "setup":
    setup();
    break;
  case "test":
    test();
    break;
  case "cli":
    cli(rest);
    break;
  case "bench":
    bench(rest);
    break;
  default:
    fail(`unknown command ${command ?? ""}: use start, test, setup or cli`);
}
