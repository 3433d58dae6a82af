// The docker folder without a Docker engine (there is none where these tests run): the compose
// file is loaded by the loader Docker Compose itself uses (docker/compose-check, built here with
// Go), and what it resolves to is checked service by service; every command and healthcheck is
// checked against the files it names; the image's start script is run directly on this checkout
// and must serve Flint until its own healthcheck passes.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keepLogs, stopChild } from "@flint/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const pythonEnv = process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python");
const checker = path.join(os.tmpdir(), "flint-compose-check");
const REQUIRED = { FLINT_DB_PASSWORD: "db secret", BETTER_AUTH_SECRET: "auth secret" };

type TService = {
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | null>;
  healthcheck?: { test?: string[] };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  volumes?: { source: string; target: string }[];
  security_opt?: string[];
};

function loadCompose(env: Record<string, string>, profiles: string[] = ["*"]) {
  const args = [...profiles.flatMap((name) => ["-profile", name]), path.join(here, "compose.yaml")];
  // Only what the test gives: the loader must not pick up this machine's SPARK_MASTER and the like.
  const result = spawnSync(checker, args, { encoding: "utf8", env: { PATH: process.env.PATH, ...env } });
  return {
    status: result.status,
    stderr: result.stderr,
    project: result.status === 0 ? JSON.parse(result.stdout) : null,
  };
}

/** The local file a path inside the image stands for (the image is this checkout, set up). */
function localPath(imagePath: string): string {
  if (imagePath.startsWith("/app/")) return path.join(root, imagePath.slice("/app/".length));
  if (imagePath.startsWith("/opt/flint/python/"))
    return path.join(pythonEnv, imagePath.slice("/opt/flint/python/".length));
  return imagePath;
}

function expectExecutable(imagePath: string): void {
  expect(
    () => accessSync(localPath(imagePath), constants.X_OK),
    `${imagePath} is an executable`,
  ).not.toThrow();
}

beforeAll(() => {
  // The module's dependencies come from the Go module proxy on the first run.
  // Go's own installer puts it in /usr/local/go, which a non-login shell may not have on PATH.
  const go = spawnSync("go", ["version"]).status === 0 ? "go" : "/usr/local/go/bin/go";
  execFileSync(go, ["build", "-o", checker, "."], { cwd: path.join(here, "compose-check"), stdio: "pipe" });
}, 600_000);

describe("docker/compose.yaml, as Docker Compose loads it", () => {
  it("refuses to load without the database password and the auth secret, and names them", () => {
    const { status, stderr } = loadCompose({});
    expect(status).not.toBe(0);
    expect(stderr).toContain("FLINT_DB_PASSWORD");
    expect(stderr).toContain("BETTER_AUTH_SECRET");
  });

  it("loads with every profile; each service restarts and has a healthcheck", () => {
    const { project, stderr } = loadCompose(REQUIRED);
    expect(stderr).toBe("");
    const services = project.services as Record<string, TService>;
    expect(Object.keys(services).sort()).toEqual(
      ["db", "gateway", "s3", "spark-connect", "spark-master", "spark-worker", "web"].sort(),
    );
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, `${name} restarts`).toBe("unless-stopped");
      expect(service.healthcheck?.test?.length, `${name} has a healthcheck`).toBeGreaterThan(1);
    }
    // Without profiles only the database and Flint start.
    expect(Object.keys(loadCompose(REQUIRED, []).project.services).sort()).toEqual(["db", "web"]);
  });

  it("keeps PostgreSQL 18's data where the image puts it and waits for it to be ready", () => {
    const { db, web } = loadCompose(REQUIRED).project.services as Record<string, TService>;
    expect(db!.image).toBe("postgres:18");
    expect(db!.volumes).toEqual([expect.objectContaining({ source: "db", target: "/var/lib/postgresql" })]);
    expect(db!.healthcheck!.test).toContain("pg_isready");
    expect(web!.depends_on).toEqual({ db: expect.objectContaining({ condition: "service_healthy" }) });
  });

  it("passes Flint what a deployment sets, and no demo user", () => {
    const env = {
      ...REQUIRED,
      JUPYTER_URL: "http://gateway:8888",
      JUPYTER_TOKEN: "gateway token",
      SPARK_REMOTE: "sc://spark-connect:15002",
      FLINT_KERNEL_API_URL: "http://web:3000",
    };
    const web = (loadCompose(env).project.services as Record<string, TService>).web!;
    expect(web.environment).toMatchObject({
      DATABASE_URL: "postgresql://flint:db secret@db:5432/flint",
      BETTER_AUTH_SECRET: "auth secret",
      JUPYTER_URL: "http://gateway:8888",
      JUPYTER_TOKEN: "gateway token",
      SPARK_REMOTE: "sc://spark-connect:15002",
      FLINT_KERNEL_API_URL: "http://web:3000",
      FLINT_DEMO: "off",
      FLINT_SIGNUP: "invite",
      FLINT_SANDBOX: "bwrap",
    });
    expect(web.volumes).toEqual([expect.objectContaining({ source: "data", target: "/data" })]);
  });

  it("names only programs the image has: healthchecks, Spark's classes and the Connect server script", () => {
    const services = loadCompose(REQUIRED).project.services as Record<string, TService>;
    expectExecutable(services.web!.healthcheck!.test![1]!);
    for (const name of ["spark-master", "spark-worker"]) expectExecutable(services[name]!.command![0]!);
    expect(services["spark-master"]!.command).toContain("org.apache.spark.deploy.master.Master");
    expect(services["spark-worker"]!.command).toContain("spark://spark-master:7077");
    // The Connect server's command finds pyspark's sbin through the image's Python.
    const pyspark = execFileSync(
      path.join(pythonEnv, "bin/python"),
      ["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"],
      { encoding: "utf8" },
    ).trim();
    expect(services["spark-connect"]!.command!.join(" ")).toContain("/sbin/start-connect-server.sh");
    expect(existsSync(path.join(pyspark, "sbin/start-connect-server.sh"))).toBe(true);
    expect(readdirJars(pyspark).some((jar) => jar.startsWith("spark-connect_"))).toBe(true);
  });
});

function readdirJars(pyspark: string): string[] {
  return spawnSync("ls", [path.join(pyspark, "jars")], { encoding: "utf8" }).stdout.split("\n");
}

describe("docker/Dockerfile and .dockerignore", () => {
  const dockerfile = readFileSync(path.join(here, "Dockerfile"), "utf8");

  it("runs as an unprivileged user, with the Python environment in the image, not the data volume", () => {
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((match) => match[1]);
    expect(users.at(-1)).toBe("flint");
    expect(dockerfile).toMatch(/FLINT_PYTHON_ENV=\/opt\/flint\/python/);
    expect(dockerfile).toMatch(/FLINT_DATA_DIR=\/data/);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\/app\/docker\/healthcheck\.sh/m);
    expect(dockerfile).toMatch(/^CMD \["\/app\/docker\/start\.sh"\]/m);
    const { packageManager } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
    expect(dockerfile).toContain(`npm install --global --no-audit --no-fund ${packageManager}`);
  });

  it("keeps secrets, local set-up and installed packages out of the build context", () => {
    const ignored = readFileSync(path.join(root, ".dockerignore"), "utf8").split("\n");
    for (const entry of [".flint", "**/node_modules", ".git", "**/.next", ".env"])
      expect(ignored).toContain(entry);
  });
});

describe("docker/start.sh, run directly", () => {
  let child: ChildProcess | null = null;
  afterAll(async () => {
    if (child) await stopChild(child);
  });

  it("serves this checkout's build until the image's healthcheck passes", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "flint-docker-start-"));
    const port = String(3400 + Math.floor(Math.random() * 200));
    const env = {
      ...process.env,
      FLINT_DATA_DIR: dataDir,
      FLINT_PYTHON_ENV: pythonEnv,
      PORT: port,
      FLINT_DEMO: "off",
      FLINT_WARM_KERNELS: "0",
    };
    child = spawn(path.join(here, "start.sh"), [], { env, stdio: ["ignore", "pipe", "pipe"] });
    const logs = keepLogs(child);
    const healthy = () => spawnSync(path.join(here, "healthcheck.sh"), [], { env }).status === 0;
    const deadline = Date.now() + 240_000;
    while (!healthy()) {
      if (child.exitCode !== null) throw new Error(`start.sh exited ${child.exitCode}: ${logs()}`);
      if (Date.now() > deadline) throw new Error(`not healthy in 240 s: ${logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    // The healthcheck is not fooled by a server that is not there.
    expect(spawnSync(path.join(here, "healthcheck.sh"), [], { env: { ...env, PORT: "1" } }).status).not.toBe(
      0,
    );
  }, 300_000);

  it("says what is missing instead of starting half-configured", () => {
    const result = spawnSync(path.join(here, "start.sh"), [], {
      env: { PATH: process.env.PATH },
      encoding: "utf8",
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("FLINT_DATA_DIR");
  });
});
