/**
 * Dark charts: the page's colour scheme as a React value, and the Vega config that draws a chart
 * for a dark page. The renderer follows the CSS `color-scheme` of the document (Flint's dark theme
 * sets it), so any page that sets `color-scheme: dark` gets dark charts without telling them.
 */
import { useSyncExternalStore } from "react";
import type { Config } from "vega-lite";

/** A light or dark chart. */
export type TChartTheme = "light" | "dark";

/**
 * Vega and Vega-Lite config of dark charts: a slate background (so a downloaded PNG looks as it
 * does on the page), light axes, labels and titles. A spec's own `config` still wins.
 */
export const DARK_CHART_CONFIG: Config = {
  background: "#0f172a",
  view: { stroke: "#334155" },
  title: { color: "#f1f5f9", subtitleColor: "#cbd5e1" },
  axis: {
    domainColor: "#94a3b8",
    gridColor: "#334155",
    tickColor: "#94a3b8",
    labelColor: "#cbd5e1",
    titleColor: "#e2e8f0",
  },
  legend: { labelColor: "#cbd5e1", titleColor: "#e2e8f0" },
  header: { labelColor: "#cbd5e1", titleColor: "#e2e8f0" },
  text: { color: "#e2e8f0" },
  style: {
    "guide-label": { fill: "#cbd5e1" },
    "guide-title": { fill: "#e2e8f0" },
    "group-title": { fill: "#f1f5f9" },
    "group-subtitle": { fill: "#cbd5e1" },
  },
} as Config;

function readScheme(): TChartTheme {
  return getComputedStyle(document.documentElement).colorScheme.includes("dark") ? "dark" : "light";
}

function subscribe(onChange: () => void): () => void {
  // The scheme changes when the theme attribute or class of <html> changes, or with the system
  // setting under a "follow the system" theme.
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, {
    attributes: true,
    attributeFilter: ["class", "data-theme", "style"],
  });
  const media = window.matchMedia("(prefers-color-scheme: dark)");
  media.addEventListener("change", onChange);
  return () => {
    observer.disconnect();
    media.removeEventListener("change", onChange);
  };
}

/** The document's colour scheme now, following its changes ("light" while rendering on the server). */
export function usePageColorScheme(): TChartTheme {
  return useSyncExternalStore(subscribe, readScheme, () => "light");
}
