/**
 * Kernel sandboxes: which isolation this machine allows, and the plan that Flint's Jupyter
 * Server reads for every kernel it starts (`flint.sandbox` in `packages/python`).
 *
 * With bubblewrap, each kernel (and everything it starts: Spark's JVM, Python workers, `!shell`)
 * runs as its project's own unprivileged user, sees the system and the Python environment
 * read-only, its project's work folder and package layer read-write, a private `/tmp`, its own
 * `/proc`, and nothing else of Flint's data folder. See `docs/security-model.md`.
 */

import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What isolation kernels run under; reported by `/api/health` and logged at start. */
export type TSandboxStatus = {
  /** `bwrap`: sandboxed; `off`: kernels run as Flint's own user with its files in reach. */
  mode: "bwrap" | "off";
  /** `project`: one unprivileged uid per project; `server`: Flint's own uid (not root). */
  user: "project" | "server" | "none";
  /** `isolated`: own network namespace, egress through Flint's proxy; `host`: the host's. */
  network: "isolated" | "host" | "none";
  /** Memory limit of one kernel in bytes, or 0 when none is enforced. */
  memoryBytes: number;
  /** One sentence for people: what is and is not isolated, and why. */
  detail: string;
};

/** Inputs of {@link planSandbox}. */
export type TSandboxOptions = {
  /** Flint's data directory. */
  dataDir: string;
  /** The folder that holds `projects/<id>/` (default `<dataDir>/storage`). */
  storageRoot?: string;
  /** `auto` (default: bwrap when it works), `bwrap` (fail without it) or `off`. */
  mode?: string;
  /** `isolated` or `host`; default isolated, host when a Spark cluster must reach the driver. */
  network?: string;
  /** Environment of kernels (`SPARK_MASTER`, `SPARK_REMOTE` decide the default network). */
  env: Record<string, string | undefined>;
  /** The port kernels call Flint's API on (`FLINT_API_URL`), forwarded inside the sandbox. */
  apiPort: number;
  /** Memory per kernel in bytes (0: none). Default 4 GiB. */
  memoryBytes?: number;
  /** First uid of project users. Default 200000. */
  firstUid?: number;
};

/** The plan: where its file is (for `FLINT_SANDBOX_CONFIG`), and the folders it names. */
export type TSandboxPlan = {
  status: TSandboxStatus;
  /** The cgroup v1 memory group that holds one group per kernel, or null. */
  memoryCgroup: string | null;
  /** The JSON plan for the provisioner; null when kernels run unsandboxed. */
  configFile: string | null;
  /** One work folder per project; the Jupyter Server's root_dir. */
  projectsRoot: string;
  /** Unix socket where Flint serves its API to sandboxed kernels. */
  apiSocket: string;
  /** Unix socket of the egress proxy (public addresses only). */
  proxySocket: string;
};

const DEFAULT_MEMORY_BYTES = 4 * 1024 ** 3;
const MEMORY_CGROUP = "/sys/fs/cgroup/memory";

/** Whether `bwrap` runs here with the namespaces a kernel sandbox needs. */
export function probeBubblewrap(): { isWorking: boolean; error: string | null } {
  const result = spawnSync(
    "bwrap",
    ["--unshare-pid", "--unshare-ipc", "--unshare-net", "--ro-bind", "/", "/", "--proc", "/proc", "true"],
    { encoding: "utf8", timeout: 10_000 },
  );
  if (result.error) return { isWorking: false, error: `bwrap is not installed (${result.error.message})` };
  if (result.status !== 0)
    return { isWorking: false, error: (result.stderr || `exit ${result.status}`).trim() };
  return { isWorking: true, error: null };
}

function hasSetpriv(): boolean {
  return spawnSync("setpriv", ["--version"], { timeout: 5_000 }).status === 0;
}

/**
 * A cgroup v1 memory group for kernels, inside the one Flint runs in (so the machine's own
 * accounting of Flint still counts its kernels), or null when none can be made.
 */
export function memoryGroup(): string | null {
  try {
    const line = readFileSync("/proc/self/cgroup", "utf8")
      .split("\n")
      .find((entry) => /^\d+:memory:/.test(entry));
    if (!line) return null;
    const group = join(
      MEMORY_CGROUP,
      line.slice(line.indexOf(":memory:") + ":memory:".length),
      "flint-kernels",
    );
    mkdirSync(group, { recursive: true });
    return group;
  } catch {
    return null;
  }
}

/**
 * Decides the isolation of kernels on this machine and writes the provisioner's plan under
 * `<dataDir>/sandbox/`. Throws when `mode` is `bwrap` and bubblewrap does not work.
 */
export function planSandbox(options: TSandboxOptions): TSandboxPlan {
  const root = join(options.dataDir, "sandbox");
  const projectsRoot = join(options.storageRoot ?? join(options.dataDir, "storage"), "projects");
  const apiSocket = join(root, "sockets", "api.sock");
  const proxySocket = join(root, "sockets", "egress.sock");
  const base = { projectsRoot, apiSocket, proxySocket, memoryCgroup: null };
  mkdirSync(projectsRoot, { recursive: true });
  const unsandboxed = (why: string): TSandboxPlan => ({
    ...base,
    configFile: null,
    status: {
      mode: "off",
      user: "none",
      network: "none",
      memoryBytes: 0,
      detail: `Kernels are NOT sandboxed: ${why}. Notebook code runs as Flint's own user and can read Flint's data folder.`,
    },
  });
  const mode = options.mode ?? "auto";
  if (mode === "off") return unsandboxed("FLINT_SANDBOX=off");
  const probe = probeBubblewrap();
  if (!probe.isWorking) {
    if (mode === "bwrap")
      throw new Error(`FLINT_SANDBOX=bwrap, but bubblewrap does not work here: ${probe.error}`);
    return unsandboxed(
      `bubblewrap does not work here (${probe.error}); install it (apt-get install bubblewrap)`,
    );
  }
  const isRoot = process.getuid?.() === 0;
  const dropsUser = isRoot && hasSetpriv();
  const clusterNeedsHost = Boolean(
    options.env.SPARK_REMOTE || options.env.SPARK_MASTER?.match(/^(spark|yarn|k8s)/),
  );
  const network =
    options.network === "host" || (options.network !== "isolated" && clusterNeedsHost) ? "host" : "isolated";
  const cgroup = isRoot && (options.memoryBytes ?? DEFAULT_MEMORY_BYTES) > 0 ? memoryGroup() : null;
  const memoryBytes = cgroup ? (options.memoryBytes ?? DEFAULT_MEMORY_BYTES) : 0;
  for (const dir of [root, join(root, "packages"), join(root, "kernels")])
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The sockets' folder must be reachable by the project users that connect to them.
  mkdirSync(join(root, "sockets"), { recursive: true });
  chmodSync(join(root, "sockets"), 0o711);
  const configFile = join(root, "plan.json");
  const plan = {
    mode: "bwrap",
    bwrap: "bwrap",
    projectsRoot,
    packagesRoot: join(root, "packages"),
    kernelsRoot: join(root, "kernels"),
    firstUid: dropsUser ? (options.firstUid ?? 200_000) : null,
    network,
    apiSocket,
    apiPort: options.apiPort,
    proxySocket,
    proxyPort: 3128,
    readOnly: options.env.JAVA_HOME ? [options.env.JAVA_HOME] : [],
    memoryBytes,
    memoryCgroup: cgroup ?? "",
  };
  writeFileSync(configFile, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
  const parts = [
    dropsUser ? "as one unprivileged user per project" : "as Flint's own user (not root, or no setpriv)",
    network === "isolated"
      ? "in their own network namespace (Flint's API and public addresses through Flint's proxy)"
      : "on the host's network (a Spark cluster must reach the driver)",
    memoryBytes > 0 ? `limited to ${Math.round(memoryBytes / 1024 ** 2)} MiB each` : "with no memory limit",
  ];
  return {
    ...base,
    memoryCgroup: cgroup,
    configFile,
    status: {
      mode: "bwrap",
      user: dropsUser ? "project" : "server",
      network,
      memoryBytes,
      detail: `Kernels run in bubblewrap sandboxes ${parts.join(", ")}.`,
    },
  };
}

/**
 * Why a sandboxed kernel died, when its memory cgroup killed it (its `oom_kill` count): a message
 * that names the limit and what to do. Null otherwise.
 */
export function explainSandboxedDeath(plan: TSandboxPlan, kernelId: string): string | null {
  if (!plan.memoryCgroup || plan.status.memoryBytes <= 0 || !/^[A-Za-z0-9-]+$/.test(kernelId)) return null;
  let control: string;
  try {
    control = readFileSync(join(plan.memoryCgroup, kernelId, "memory.oom_control"), "utf8");
  } catch {
    return null;
  }
  const kills = Number(/^oom_kill (\d+)$/m.exec(control)?.[1] ?? 0);
  if (kills === 0) return null;
  const mib = Math.round(plan.status.memoryBytes / 1024 ** 2);
  return (
    `it used more than its memory limit of ${mib} MiB and was stopped; ` +
    "work on less data at once (a sample, fewer columns, Spark instead of pandas), or ask the administrator to raise FLINT_KERNEL_MEMORY_MB"
  );
}
