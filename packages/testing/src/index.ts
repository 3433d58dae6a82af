/**
 * Tooling shared by Flint's browser tests (e2e/, the charts corpus) and benchmarks (bench/):
 * one place for how Chromium is launched and how a built Flint server is started and stopped.
 */
export { CHROMIUM_LAUNCH_OPTIONS } from "./chromium";
export {
  keepLogs,
  startBuiltFlint,
  stopChild,
  type TFlintServer,
  type TFlintServerOptions,
  type TLogTail,
  waitForOk,
} from "./server";
