// Flint's single Node process: Next.js pages plus the API (and, with the kernels, WebSockets).
// Started by `npm start` (scripts/flint.mjs); Ctrl-C stops every process it started.
import { startFlint } from "./src/server/start.js";

let isStopping = false;
// A library's stray promise (e.g. a kernel-info request after a kernel restart) must not take
// the whole server down: log it and keep serving.
process.on("unhandledRejection", (reason) => {
  process.stderr.write(`[flint] unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}\n`);
});
try {
  const flint = await startFlint();
  const shutdown = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    process.stdout.write(`[flint] ${signal}: stopping...\n`);
    const timer = setTimeout(() => process.exit(1), 20_000);
    await flint.stop();
    clearTimeout(timer);
    process.stdout.write("[flint] stopped\n");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGHUP", () => void shutdown("SIGHUP"));
} catch (error) {
  process.stderr.write(`[flint] could not start: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
}
