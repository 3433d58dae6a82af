/**
 * The full text of a cell run whose outputs went over the cap. The broker keeps at most
 * `maxOutputBytes` of a run in the notebook (and says "output truncated: N MB more"); what the
 * person printed is still theirs to read, so the run's text (streams, plain-text results,
 * tracebacks) is also kept here, in memory while it is under the cap and in a file once it is
 * over. A run that stays under the cap writes nothing. A new run of the cell replaces the file.
 * The API serves it as "download full output" (`GET /notebooks/{id}/cells/{cellId}/output`).
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, rmSync, type WriteStream } from "node:fs";
import path from "node:path";
import type { TObjectStore } from "@flint/storage";

/** Default largest full-output file per cell run. */
export const DEFAULT_MAX_SPOOL_BYTES = 200_000_000;

/** Where the full output of `cellId` in `notebookId` lives under `dir` (names hashed: ids are user data). */
export function outputSpoolPath(dir: string, notebookId: string, cellId: string): string {
  return path.join(dir, ...outputSpoolKey(notebookId, cellId).split("/").slice(1));
}

/** The key of a cell's full output in an object store: `outputs/<hash>/<hash>.txt`. */
export function outputSpoolKey(notebookId: string, cellId: string): string {
  const hash = (value: string) => createHash("sha256").update(value).digest("hex").slice(0, 32);
  return `outputs/${hash(notebookId)}/${hash(cellId)}.txt`;
}

// ANSI colour and cursor sequences: tracebacks carry them, a downloaded text file should not.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** The text a kernel message adds to a run's full output ("" for messages without text). */
export function textOfMessage(type: string, content: unknown): string {
  const value = (content ?? {}) as {
    text?: unknown;
    data?: Record<string, unknown>;
    traceback?: unknown;
    ename?: unknown;
    evalue?: unknown;
  };
  const joined = (text: unknown) =>
    Array.isArray(text) ? text.join("") : typeof text === "string" ? text : "";
  if (type === "stream") return joined(value.text);
  if (type === "execute_result" || type === "display_data") {
    const plain = joined(value.data?.["text/plain"]);
    return plain ? `${plain}\n` : "";
  }
  if (type === "error") {
    const traceback = Array.isArray(value.traceback)
      ? value.traceback.join("\n")
      : `${value.ename}: ${value.evalue}`;
    return `${traceback.replace(ANSI, "")}\n`;
  }
  return "";
}

/** One run's full output. Not thread-safe, not needed: the broker is single-threaded. */
export class OutputSpool {
  private readonly file: string;
  private buffered: string[] = [];
  private bufferedBytes = 0;
  private writtenBytes = 0;
  private stream: WriteStream | null = null;
  private isFull = false;
  private isClosed = false;
  private readonly key: string;
  /** The previous run's object being removed from the store (awaited before this run's upload). */
  private readonly removal: Promise<unknown>;

  /**
   * Starts a run's spool and deletes the previous run's file of the cell. With a `store` (an S3
   * bucket, so every web server can serve it) the file is written here while the run goes on and
   * moved to the store when it ends.
   */
  constructor(
    dir: string,
    notebookId: string,
    cellId: string,
    private readonly limits: { memoryBytes: number; maxFileBytes: number } = {
      memoryBytes: 5_000_000,
      maxFileBytes: DEFAULT_MAX_SPOOL_BYTES,
    },
    private readonly store: TObjectStore | null = null,
  ) {
    this.file = outputSpoolPath(dir, notebookId, cellId);
    this.key = outputSpoolKey(notebookId, cellId);
    rmSync(this.file, { force: true });
    this.removal = store ? store.remove(this.key).catch(() => undefined) : Promise.resolve();
  }

  /** Adds a kernel message's text. */
  append(type: string, content: unknown): void {
    if (this.isClosed || this.isFull) return;
    const text = textOfMessage(type, content);
    if (!text) return;
    const bytes = Buffer.byteLength(text);
    if (!this.stream) {
      this.buffered.push(text);
      this.bufferedBytes += bytes;
      if (this.bufferedBytes <= this.limits.memoryBytes) return;
      // Over the cap: from now on the run's text goes to the file, starting with what it had.
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      this.stream = createWriteStream(this.file, { mode: 0o600 });
      this.stream.on("error", () => {
        this.isFull = true;
      });
      const start = this.buffered.join("");
      this.buffered = [];
      this.write(start);
      return;
    }
    this.write(text);
  }

  private write(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.writtenBytes + bytes > this.limits.maxFileBytes) {
      this.isFull = true;
      this.stream?.write(
        `\n[Flint kept the first ${Math.round(this.limits.maxFileBytes / 1_000_000)} MB of this output; the rest was not saved.]\n`,
      );
      return;
    }
    this.writtenBytes += bytes;
    this.stream?.write(text);
  }

  /** Ends the run: the file (if any) is complete, in the store when there is one, once this resolves. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.buffered = [];
    const stream = this.stream;
    if (!stream) return;
    await new Promise<void>((resolve) => stream.end(resolve));
    if (!this.store) return;
    await this.removal;
    try {
      await this.store.put(this.key, createReadStream(this.file));
    } finally {
      rmSync(this.file, { force: true });
    }
  }
}
