/** What the harness page offers the Playwright tests (shared by the page script and the tests). */

/** A chart to render: its MIME type, spec and optional renderer props. */
export interface THarnessItem {
  id: string;
  mimeType: string;
  spec: unknown;
  allowedDataOrigins?: string[];
  /** CSS width of the chart's host element, default 640px. */
  width?: string;
}

/** How a chart ended up: drawn, refused or failed (error card), or still drawing at the timeout. */
export interface THarnessResult {
  id: string;
  state: "rendered" | "error" | "timeout";
  message?: string;
  warnings?: string[];
  ms: number;
}

/** A Content-Security-Policy violation the page reported. */
export interface TViolation {
  directive: string;
  blockedURI: string;
  sample: string;
}

/** `window.flintHarness`. */
export interface THarness {
  render(items: THarnessItem[], timeoutMs: number): Promise<THarnessResult[]>;
  renderCorpus(names: string[], timeoutMs: number): Promise<THarnessResult[]>;
  clear(): void;
  violations(): TViolation[];
  /**
   * Runs `new Function` in a task of the page's own (not in Playwright's evaluate, which Chromium
   * exempts from the CSP): the error's name when the CSP refuses it.
   */
  probeEval(): Promise<string>;
}

declare global {
  interface Window {
    flintHarness: THarness;
  }
}
