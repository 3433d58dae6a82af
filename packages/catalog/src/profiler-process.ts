/**
 * One `python -m flint.profile --serve` process: a SparkSession kept warm between profiling jobs,
 * since starting a JVM takes seconds and profiling a small file a fraction of one (issue 17). Jobs
 * go in as JSON lines on stdin (a connection password never appears in a process listing), one at
 * a time; each ends with a `FLINT_END` line. Stopping a job (cancel, timeout) kills the process and
 * its JVM; the next job starts a new one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** A profiling job failed for a reason worth showing to the user. */
export class ProfileJobError extends Error {}

const STDERR_LINES_KEPT = 30;

/** Progress of the running job, as the profiler reports it. */
export type TProfileProgress = (progress: number, message: string) => void;

/** A warm profiler process. */
export class ProfilerProcess {
  private readonly child: ChildProcess;
  private readonly stderr: string[] = [];
  private job: { resolve: () => void; reject: (error: Error) => void; onProgress: TProfileProgress } | null =
    null;
  private hasExited = false;
  private readonly onParentExit = () => this.kill();

  /**
   * Starts the process. `kind` names the Spark settings its session was built with (the first
   * job's): a job of another kind needs another process.
   */
  constructor(
    readonly kind: string,
    options: { python: string; env: Record<string, string>; cwd: string },
  ) {
    this.child = spawn(options.python, ["-m", "flint.profile", "--serve"], {
      // Apps that declare NODE_ENV as required in ProcessEnv (Next.js) would reject a plain record.
      env: options.env as NodeJS.ProcessEnv,
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      // Its own process group, so killing it also stops the JVM it starts.
      detached: true,
    });
    // If Flint exits without stopping it (a crash), take the process group with it.
    process.once("exit", this.onParentExit);
    this.child.stdin!.on("error", () => undefined);
    createInterface({ input: this.child.stdout! }).on("line", (line) => this.onStdout(line));
    createInterface({ input: this.child.stderr! }).on("line", (line) => {
      this.stderr.push(line);
      if (this.stderr.length > STDERR_LINES_KEPT) this.stderr.shift();
    });
    this.child.once("error", (error) => this.onExit(String(error)));
    this.child.once("close", (code) => this.onExit(`exit code ${code}`));
  }

  /** False once the process has ended (killed, crashed, or closed after its stdin). */
  get isAlive(): boolean {
    return !this.hasExited;
  }

  /** Runs one job; resolves when its result is written, rejects with why it failed. */
  run(job: Record<string, unknown>, onProgress: TProfileProgress): Promise<void> {
    if (this.hasExited) return Promise.reject(new ProfileJobError("The profiler process has ended."));
    if (this.job) return Promise.reject(new Error("The profiler runs one job at a time."));
    this.stderr.length = 0;
    return new Promise<void>((resolve, reject) => {
      this.job = { resolve, reject, onProgress };
      this.child.stdin!.write(`${JSON.stringify(job)}\n`);
    });
  }

  /** Stops the process and its JVM at once (a running job fails). */
  kill(): void {
    if (this.hasExited || !this.child.pid) return;
    try {
      // Negative pid: the whole group, i.e. python and the JVM it started.
      process.kill(-this.child.pid, "SIGKILL");
    } catch {
      this.child.kill("SIGKILL");
    }
  }

  /** Lets the process finish: it stops its session and exits when stdin closes. */
  close(): void {
    this.child.stdin!.end();
  }

  private onStdout(line: string): void {
    const job = this.job;
    if (!job) return;
    if (line.startsWith("FLINT_PROGRESS ")) {
      try {
        const { progress, message } = JSON.parse(line.slice("FLINT_PROGRESS ".length)) as {
          progress: number;
          message: string;
        };
        job.onProgress(progress, String(message));
      } catch {
        // A malformed progress line only costs a progress update.
      }
    } else if (line === "FLINT_END ok") {
      this.job = null;
      job.resolve();
    } else if (line.startsWith("FLINT_END error ")) {
      this.job = null;
      job.reject(
        new ProfileJobError(`Spark could not profile this asset: ${line.slice("FLINT_END error ".length)}`),
      );
    }
  }

  private onExit(reason: string): void {
    if (this.hasExited) return;
    this.hasExited = true;
    process.removeListener("exit", this.onParentExit);
    const job = this.job;
    this.job = null;
    if (job) {
      const tail = this.stderr.slice(-3).join(" | ").slice(0, 500);
      job.reject(new ProfileJobError(`Spark could not profile this asset: ${tail || reason}`));
    }
  }
}
