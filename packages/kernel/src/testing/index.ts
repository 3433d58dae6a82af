/**
 * Test helpers for packages that use `@flint/kernel` (an in-memory store, a browser-like event
 * mirror, Python environment and data directory helpers). Not for production code.
 */

export { findGatewayEnv, startTestGateway, type TTestGateway } from "./gateway";
export {
  describeOutputs,
  MemoryCellRunStore,
  NotebookMirror,
  runCellText,
  type TRecordedWrite,
  type TStoredRun,
  waitFor,
} from "./memory-store";
export { createLogCollector, createTestDataDir, findTestPythonEnv, TEST_KERNEL_ENV } from "./runtime";
