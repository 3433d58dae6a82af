/**
 * Finding and ending every process Flint's Jupyter Server left behind. Jupyter starts each kernel
 * in a session of its own (jupyter_client's `start_new_session`), and a kernel's Spark JVM and
 * Python workers are children of that kernel, so killing the server's process group does not
 * reach them. Instead every process of a supervised server carries an environment marker
 * (inherited from the server by kernels, JVMs and workers), and the supervisor ends all processes
 * with its marker, even orphans whose parent already died. Linux only (`/proc`); elsewhere only
 * the server's process group is signalled.
 */

import { readdir, readFile } from "node:fs/promises";

/** Name of the environment variable that marks processes of one supervised Jupyter Server. */
export const OWNER_ENV = "FLINT_JUPYTER_OWNER";

/** A process found by {@link findMarkedProcesses}. */
export type TMarkedProcess = {
  pid: number;
  /** The marker's value, e.g. `<data dir hash>:<launch>`. */
  owner: string;
  /** Start time in clock ticks since boot, to tell a pid apart from a later reuse of it. */
  startTime: string;
};

/** True when this system has a readable `/proc`. */
export async function hasProcFs(): Promise<boolean> {
  try {
    await readFile("/proc/self/stat", "utf8");
    return true;
  } catch {
    return false;
  }
}

/**
 * Lists processes whose {@link OWNER_ENV} value starts with `ownerPrefix`. Processes of other
 * users (unreadable environments) and processes that exit while being read are skipped.
 */
export async function findMarkedProcesses(ownerPrefix: string): Promise<TMarkedProcess[]> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return [];
  }
  const needle = `${OWNER_ENV}=${ownerPrefix}`;
  const found: TMarkedProcess[] = [];
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const pid = Number(name);
        if (pid === process.pid) return;
        let environ: string;
        try {
          environ = await readFile(`/proc/${pid}/environ`, "latin1");
        } catch {
          return;
        }
        const start = environ.startsWith(needle) ? 0 : environ.indexOf(`\0${needle}`);
        if (start === -1) return;
        const from = start === 0 ? 0 : start + 1;
        const end = environ.indexOf("\0", from);
        const owner = environ.slice(from + OWNER_ENV.length + 1, end === -1 ? undefined : end);
        const startTime = await readStartTime(pid);
        if (startTime !== null) found.push({ pid, owner, startTime });
      }),
  );
  return found;
}

/** The command name of a process (`java`, `python`...), or `null` when it is gone. */
export async function readProcessName(pid: number): Promise<string | null> {
  try {
    return (await readFile(`/proc/${pid}/comm`, "utf8")).trim();
  } catch {
    return null;
  }
}

/** Reads field 22 of `/proc/<pid>/stat` (start time), or `null` when the process is gone. */
async function readStartTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: split after its last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); start time is field 22.
    const state = fields[0];
    if (state === "Z" || state === "X") return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * CPU time a process has used so far (user + system, fields 14 and 15 of `/proc/<pid>/stat`), in
 * clock ticks (100 a second on Linux), or `null` when it is gone or there is no /proc.
 */
export async function readCpuTicks(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3: utime is field 14, stime field 15.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** True while the process still exists (and is not a zombie) with the same start time. */
export async function isProcessAlive(target: Pick<TMarkedProcess, "pid" | "startTime">): Promise<boolean> {
  return (await readStartTime(target.pid)) === target.startTime;
}

/** Sends `signal` to a process, ignoring processes that are already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already gone. EPERM: not ours; nothing to do either way.
  }
}

/** Sends `signal` to a process group, ignoring groups that are already gone. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  signalProcess(-pgid, signal);
}

/**
 * Kills (SIGKILL) every process whose marker starts with `ownerPrefix`, rescanning until none is
 * left (a dying kernel may still fork), and waits until they are gone. Returns how many it killed.
 */
export async function killMarkedProcesses(ownerPrefix: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const killed = new Set<number>();
  for (;;) {
    const alive = await findMarkedProcesses(ownerPrefix);
    if (alive.length === 0) return killed.size;
    for (const target of alive) {
      signalProcess(target.pid, "SIGKILL");
      killed.add(target.pid);
    }
    if (Date.now() > deadline) return killed.size;
    await sleep(50);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
