/**
 * The page script of the browser harness: renders specs with the real `VegaOutput` and reports
 * how each one ended. Bundled by esbuild and served under the same CSP as Flint's pages.
 */

import { createRoot, type Root } from "react-dom/client";
import { type TVegaOutputStatus, VegaOutput } from "../../src/client";
import type { THarnessItem, THarnessResult, TViolation } from "./types";

const roots: Root[] = [];
const violations: TViolation[] = [];

document.addEventListener("securitypolicyviolation", (event) => {
  violations.push({ directive: event.violatedDirective, blockedURI: event.blockedURI, sample: event.sample });
});

function host(): HTMLElement {
  const found = document.getElementById("charts");
  if (!found) throw new Error("the harness page has no #charts element");
  return found;
}

function render(item: THarnessItem, timeoutMs: number): Promise<THarnessResult> {
  const element = document.createElement("div");
  element.dataset.chartId = item.id;
  element.style.width = item.width ?? "640px";
  host().append(element);
  const root = createRoot(element);
  roots.push(root);
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<THarnessResult, "id" | "ms">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ id: item.id, ms: Math.round(performance.now() - started), ...result });
    };
    const timer = setTimeout(() => finish({ state: "timeout" }), timeoutMs);
    const onStatus = (status: TVegaOutputStatus) => {
      if (status.state === "rendered") finish({ state: "rendered", warnings: status.warnings });
      else if (status.state === "error") finish({ state: "error", message: status.message });
    };
    root.render(
      <VegaOutput
        mimeType={item.mimeType}
        spec={item.spec}
        onStatus={onStatus}
        {...(item.allowedDataOrigins ? { allowedDataOrigins: item.allowedDataOrigins } : {})}
      />,
    );
  });
}

window.flintHarness = {
  render: (items, timeoutMs) => Promise.all(items.map((item) => render(item, timeoutMs))),
  async renderCorpus(names, timeoutMs) {
    const items = await Promise.all(
      names.map(async (name) => {
        const response = await fetch(`/corpus/${encodeURIComponent(name)}`);
        return {
          id: name,
          mimeType: "application/vnd.vegalite.v6+json",
          spec: (await response.json()) as unknown,
        };
      }),
    );
    return Promise.all(items.map((item) => render(item, timeoutMs)));
  },
  clear() {
    for (const root of roots.splice(0)) root.unmount();
    host().replaceChildren();
  },
  violations: () => [...violations],
  probeEval: () =>
    new Promise((resolve) => {
      setTimeout(() => {
        try {
          // Proves that the page's CSP refuses compiled strings.
          resolve(String(new Function("return 1 + 1")()));
        } catch (error) {
          resolve(error instanceof Error ? error.name : String(error));
        }
      }, 0);
    }),
};
