"use client";

/**
 * `VegaOutput`: renders a Vega-Lite 5/6 or Vega 5/6 output in a notebook, safely.
 *
 * - The spec passes {@link guardSpec} first (caps, data URL allow-list, forbidden expressions);
 *   a refused spec shows an error card in the chart's place and Vega never sees it.
 * - vega-embed runs in interpreter mode (`ast: true`, `expr: expressionInterpreter`): the page's
 *   CSP has no `unsafe-eval`, and expressions never become JavaScript.
 * - All loading goes through {@link createGuardedLoader}; a refused URL turns the chart into an
 *   error card that says which URL and why. Data loads without the viewer's cookies; a mark's link
 *   to another site opens only from a box that shows its full address (SECURITY.md case 32).
 * - vega-embed's own actions menu is off (its "view source" writes HTML into a new window and its
 *   editor action posts the spec to another site); this component has its own: PNG, SVG, spec.
 * - Charts with `width: "container"` follow the width of their output area.
 * - On a dark page (CSS `color-scheme: dark`) charts are drawn with {@link DARK_CHART_CONFIG},
 *   and redrawn when the page's scheme changes.
 */

import { type CSSProperties, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { LoggerInterface, View } from "vega";
import type { VisualizationSpec } from "vega-embed";
import {
  DEFAULT_ALLOWED_DATA_PREFIXES,
  guardSpec,
  type TDataUrlPolicy,
  type TSpecLimits,
  VEGA_DATASETS_BASE,
} from "../spec-guard";
import { DARK_CHART_CONFIG, type TChartTheme, usePageColorScheme } from "./color-scheme";
import { installCspSafeFormats } from "./csp-safe-formats";
import { createGuardedLoader } from "./guarded-loader";

/** What the output shows: still drawing, drawn (with the guard's warnings), or an error card. */
export type TVegaOutputStatus =
  | { state: "loading" }
  | { state: "rendered"; warnings: string[] }
  | { state: "error"; message: string };

/** Props of {@link VegaOutput}. */
export interface VegaOutputProps {
  /** The output's MIME type, e.g. `application/vnd.vegalite.v6+json` or `application/vnd.vega.v5+json`. */
  mimeType: string;
  /** The spec as found in the output (parsed JSON). */
  spec: unknown;
  /**
   * URL prefixes data and images may load from. Default: `/vega-datasets/` (the bundled example
   * datasets); routes that serve public data, or absolute prefixes such as
   * `https://data.example.com/public/`, may be passed. Never a route that answers with the viewer's
   * own data: the spec's author would read it.
   */
  allowedDataOrigins?: readonly string[];
  /** Where relative data URLs (`data/cars.json`) resolve; default `/vega-datasets/`. */
  datasetsBaseUrl?: string;
  /** Tighter or looser caps than {@link DEFAULT_SPEC_LIMITS}. */
  limits?: Partial<TSpecLimits>;
  /** Show the PNG / SVG / spec menu (default true). */
  actions?: boolean;
  /** File name of exports, without extension. */
  downloadFileName?: string;
  /**
   * Draw the whole chart scaled down (never up) to fit the box around this output, keeping its
   * proportions: for thumbnails, which would otherwise crop a chart larger than they are. The
   * box needs a height (the output fills it).
   */
  fit?: boolean;
  /** Told about every change of state; for tests, thumbnails and the notebook's own status. */
  onStatus?: (status: TVegaOutputStatus) => void;
  className?: string;
  /** Light or dark chart; default: the page's CSS `color-scheme`. */
  theme?: TChartTheme;
}

const MAX_SHOWN_SPEC_CHARS = 100_000;

const styles = {
  root: { position: "relative", width: "100%", minWidth: 0 },
  chart: { width: "100%", overflowX: "auto" },
  fitRoot: { position: "relative", width: "100%", height: "100%", minWidth: 0 },
  fitChart: { width: "100%", height: "100%", overflow: "hidden" },
  toolbar: { display: "flex", gap: "4px", justifyContent: "flex-end", marginTop: "4px" },
  button: {
    font: "inherit",
    fontSize: "12px",
    padding: "2px 8px",
    border: "1px solid var(--color-slate-300, #d0d7de)",
    borderRadius: "4px",
    background: "var(--color-white, #fff)",
    color: "var(--color-slate-800, #24292f)",
    cursor: "pointer",
  },
  error: {
    border: "1px solid var(--color-red-200, #f1aeb5)",
    background: "var(--color-red-50, #fff5f5)",
    color: "var(--color-red-800, #842029)",
    padding: "8px 12px",
    borderRadius: "6px",
    fontSize: "13px",
    whiteSpace: "pre-wrap",
    overflowWrap: "anywhere",
  },
  link: {
    border: "1px solid #d0d7de",
    background: "#f6f8fa",
    color: "#24292f",
    padding: "8px 12px",
    borderRadius: "6px",
    fontSize: "13px",
    marginTop: "4px",
    overflowWrap: "anywhere",
  },
  spec: {
    maxHeight: "320px",
    overflow: "auto",
    fontSize: "12px",
    background: "var(--color-slate-50, #f6f8fa)",
    padding: "8px",
    borderRadius: "4px",
    marginTop: "4px",
  },
} satisfies Record<string, CSSProperties>;

/** A Vega logger that turns errors and failed loads into the chart's error state. */
function createLogger(onError: (message: string) => void): LoggerInterface {
  let level = 2; // vega.Warn
  const text = (args: readonly unknown[]): string =>
    args
      .map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a)))
      .join(" ");
  const logger: LoggerInterface = {
    level(next?: number) {
      if (next === undefined) return level;
      level = next;
      return logger;
    },
    error(...args: readonly unknown[]) {
      onError(text(args));
      return logger;
    },
    warn(...args: readonly unknown[]) {
      // Vega reports failed data loads as warnings; a chart without its data is broken.
      if (args[0] === "Loading failed" || args[0] === "Data ingestion failed") onError(text(args));
      else if (level >= 2) console.warn("[vega]", ...args);
      return logger;
    },
    info(...args: readonly unknown[]) {
      if (level >= 3) console.info("[vega]", ...args);
      return logger;
    },
    debug(...args: readonly unknown[]) {
      if (level >= 4) console.debug("[vega]", ...args);
      return logger;
    },
  };
  return logger;
}

async function downloadImage(view: View, type: "png" | "svg", fileName: string): Promise<void> {
  const url = await view.toImageURL(type, type === "png" ? 2 : 1);
  const link = document.createElement("a");
  link.href = url;
  link.download = `${fileName}.${type}`;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
  if (url.startsWith("blob:")) setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Renders a Vega or Vega-Lite output with the guard, the interpreter and the guarded loader; an
 * error card takes the chart's place when the spec is refused or fails.
 */
export function VegaOutput({
  mimeType,
  spec,
  allowedDataOrigins,
  datasetsBaseUrl,
  limits,
  actions = true,
  downloadFileName = "chart",
  fit = false,
  onStatus,
  className,
  theme,
}: VegaOutputProps) {
  const pageScheme = usePageColorScheme();
  const chartTheme = theme ?? pageScheme;
  const containerRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<View | null>(null);
  const onStatusRef = useRef(onStatus);
  onStatusRef.current = onStatus;
  const [status, setStatus] = useState<TVegaOutputStatus>({ state: "loading" });
  const [showSpec, setShowSpec] = useState(false);
  // A link to another site the chart asked to open: shown in full, opened only by a second click.
  const [pendingLink, setPendingLink] = useState<string | null>(null);

  // Keyed by content, so a parent passing a fresh array or object each render does not redraw.
  const allowedKey = (allowedDataOrigins ?? DEFAULT_ALLOWED_DATA_PREFIXES).join("\n");
  const limitsKey = JSON.stringify(limits ?? {});
  const baseUrl = datasetsBaseUrl ?? VEGA_DATASETS_BASE;
  const policy = useMemo<TDataUrlPolicy>(
    () => ({ allowedPrefixes: allowedKey.split("\n").filter(Boolean), baseUrl }),
    [allowedKey, baseUrl],
  );
  const guarded = useMemo(
    () =>
      guardSpec(spec, mimeType, { limits: JSON.parse(limitsKey) as Partial<TSpecLimits>, dataUrls: policy }),
    [spec, mimeType, limitsKey, policy],
  );

  const report = useCallback((next: TVegaOutputStatus) => {
    setStatus(next);
    onStatusRef.current?.(next);
  }, []);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    if (!guarded.ok) {
      report({ state: "error", message: guarded.error.message });
      return;
    }
    report({ state: "loading" });
    setPendingLink(null);
    // Set by cleanup or by the first failure; a failure after drawing still replaces the chart.
    let stopped = false;
    let finalize: (() => void) | undefined;
    let observer: ResizeObserver | undefined;
    let frame = 0;
    const fail = (message: string): void => {
      if (stopped) return;
      stopped = true;
      observer?.disconnect();
      finalize?.();
      viewRef.current = null;
      report({ state: "error", message });
    };
    const loader = createGuardedLoader({
      policy,
      onBlocked: (url, reason) => fail(`Blocked ${JSON.stringify(url)}: ${reason}`),
      onExternalLink: (href) => {
        if (!stopped) setPendingLink(href);
      },
    });
    (async () => {
      // Loaded on first use: Vega, Vega-Lite and vega-embed are large and only charts need them.
      const [{ default: embed }, { expressionInterpreter }, vega] = await Promise.all([
        import("vega-embed"),
        import("vega-interpreter"),
        import("vega"),
      ]);
      if (stopped) return;
      installCspSafeFormats(vega);
      const result = await embed(container, guarded.spec as VisualizationSpec, {
        mode: guarded.mode,
        ast: true,
        expr: expressionInterpreter,
        loader,
        logger: createLogger(fail),
        actions: false,
        defaultStyle: false,
        renderer: "canvas",
        downloadFileName,
        ...(chartTheme === "dark" ? { config: DARK_CHART_CONFIG } : {}),
      });
      finalize = result.finalize;
      if (stopped) {
        result.finalize();
        return;
      }
      viewRef.current = result.view;
      const canvas = fit ? container.querySelector("canvas") : null;
      if (canvas) {
        // Vega sizes the canvas in CSS pixels (its bitmap is larger on dense screens); scaling
        // the element shrinks the whole drawing, axes and legend included, instead of cropping.
        const naturalWidth = Number.parseFloat(canvas.style.width) || canvas.width;
        const naturalHeight = Number.parseFloat(canvas.style.height) || canvas.height;
        const fitToBox = () => {
          const scale = Math.min(
            1,
            container.clientWidth / naturalWidth,
            container.clientHeight / naturalHeight,
          );
          if (!(scale > 0)) return;
          canvas.style.width = `${naturalWidth * scale}px`;
          canvas.style.height = `${naturalHeight * scale}px`;
        };
        fitToBox();
        observer = new ResizeObserver(() => {
          cancelAnimationFrame(frame);
          frame = requestAnimationFrame(() => {
            if (!stopped) fitToBox();
          });
        });
        observer.observe(container);
      } else if (guarded.spec.width === "container") {
        // Vega-Lite follows its container only on window resizes; notebooks also resize panes.
        let lastWidth = container.clientWidth;
        observer = new ResizeObserver(() => {
          cancelAnimationFrame(frame);
          frame = requestAnimationFrame(() => {
            const width = container.clientWidth;
            if (stopped || Math.abs(width - lastWidth) < 1) return;
            lastWidth = width;
            result.view
              .signal("width", width)
              .runAsync()
              .catch((error: unknown) => fail(String(error)));
          });
        });
        observer.observe(container);
      }
      report({ state: "rendered", warnings: guarded.warnings });
    })().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
    return () => {
      stopped = true;
      cancelAnimationFrame(frame);
      observer?.disconnect();
      finalize?.();
      viewRef.current = null;
    };
  }, [guarded, policy, downloadFileName, report, fit, chartTheme]);

  const exportImage = useCallback(
    (type: "png" | "svg") => {
      const view = viewRef.current;
      if (view) downloadImage(view, type, downloadFileName).catch((error: unknown) => console.error(error));
    },
    [downloadFileName],
  );

  const specText = useMemo(() => {
    if (!showSpec) return "";
    const text = JSON.stringify(guarded.ok ? guarded.spec : spec, null, 2) ?? "";
    return text.length > MAX_SHOWN_SPEC_CHARS
      ? `${text.slice(0, MAX_SHOWN_SPEC_CHARS)}\n… (${(text.length - MAX_SHOWN_SPEC_CHARS).toLocaleString("en-US")} more characters)`
      : text;
  }, [showSpec, guarded, spec]);

  return (
    <div
      className={className}
      style={fit ? styles.fitRoot : styles.root}
      data-flint-chart={status.state}
      data-flint-chart-theme={chartTheme}
    >
      {status.state === "error" ? (
        <div role="alert" style={styles.error}>
          <strong>This chart could not be drawn.</strong> {status.message}
        </div>
      ) : null}
      <div
        ref={containerRef}
        style={status.state === "error" ? { display: "none" } : fit ? styles.fitChart : styles.chart}
      />
      {actions && status.state === "rendered" ? (
        <div style={styles.toolbar}>
          <button type="button" style={styles.button} onClick={() => exportImage("png")}>
            PNG
          </button>
          <button type="button" style={styles.button} onClick={() => exportImage("svg")}>
            SVG
          </button>
          <button
            type="button"
            style={styles.button}
            aria-expanded={showSpec}
            onClick={() => setShowSpec((s) => !s)}
          >
            {showSpec ? "Hide spec" : "Spec"}
          </button>
        </div>
      ) : null}
      {pendingLink !== null && status.state === "rendered" ? (
        <div role="dialog" aria-label="Open link to another site" style={styles.link}>
          This chart links to another site: <code data-flint-link-target="">{pendingLink}</code>{" "}
          <a
            href={pendingLink}
            target="_blank"
            rel="noopener noreferrer nofollow"
            style={styles.button}
            onClick={() => setPendingLink(null)}
          >
            Open link
          </a>{" "}
          <button type="button" style={styles.button} onClick={() => setPendingLink(null)}>
            Cancel
          </button>
        </div>
      ) : null}
      {showSpec ? <pre style={styles.spec}>{specText}</pre> : null}
    </div>
  );
}
