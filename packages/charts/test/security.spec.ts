/**
 * SECURITY.md cases 11-14 against the real renderer in Chromium, under Flint's CSP (no
 * `unsafe-eval`). Every request that would leave 127.0.0.1 is aborted and recorded by the fixture,
 * so these tests never send traffic elsewhere even if a protection were removed.
 */

import type { Page } from "@playwright/test";
import { expect, test } from "./harness/fixtures";
import type { THarnessItem, THarnessResult } from "./harness/types";

const VL = "application/vnd.vegalite.v6+json";
const VEGA = "application/vnd.vega.v6+json";
const EVAL_GADGET = "(0//1/)-'\\\\\\n,eval(1))//'";

async function render(page: Page, items: THarnessItem[], timeoutMs = 20_000): Promise<THarnessResult[]> {
  return page.evaluate(([list, timeout]) => window.flintHarness.render(list, timeout), [
    items,
    timeoutMs,
  ] as const);
}

async function renderOne(page: Page, item: Omit<THarnessItem, "id">): Promise<THarnessResult> {
  const [result] = await render(page, [{ id: "chart", ...item }]);
  return result!;
}

async function globals(page: Page) {
  return page.evaluate(() => {
    const w = window as unknown as Record<string, unknown>;
    return {
      vega: typeof w.vega,
      vegaEmbed: typeof w.vegaEmbed,
      debug: typeof w.VEGA_DEBUG,
      pwned: typeof w.__pwned,
    };
  });
}

const UNTOUCHED = { vega: "undefined", vegaEmbed: "undefined", debug: "undefined", pwned: "undefined" };

test.describe("case 11: expressions cannot eval", () => {
  test("the page CSP forbids eval", async ({ chartPage, harness }) => {
    const response = await chartPage.request.get(harness.url);
    const csp = response.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-eval");
    // Evaluated by the page's own script: Playwright's evaluate itself is exempt from the CSP.
    const outcome = await chartPage.evaluate(() => window.flintHarness.probeEval());
    expect(outcome).toBe("EvalError");
  });

  test("an eval gadget in a filter is a parse error in the chart slot", async ({ chartPage, problems }) => {
    const spec = {
      data: { values: [{ a: 1 }, { a: 2 }] },
      transform: [{ filter: EVAL_GADGET }],
      mark: "point",
      encoding: { x: { field: "a", type: "quantitative" } },
    };
    const result = await renderOne(chartPage, { mimeType: VL, spec });
    expect(result.state).toBe("error");
    expect(result.message).toMatch(/Expression parse error|Unexpected token|Unrecognized/i);
    const card = chartPage.locator('[data-chart-id="chart"] [role="alert"]');
    await expect(card).toContainText("This chart could not be drawn.");
    // Vega-level signal with the same gadget.
    const vega = await renderOne(chartPage, {
      mimeType: VEGA,
      spec: { signals: [{ name: "s", update: EVAL_GADGET }] },
    });
    expect(vega.state).toBe("error");
    expect(await chartPage.evaluate(() => window.flintHarness.violations())).toEqual([]); // no eval was even tried
    expect(await globals(chartPage)).toEqual(UNTOUCHED);
    expect(problems.dialogs).toEqual([]);
  });
});

test.describe("case 12: gadget chains through event.view, __proto__, constructor", () => {
  test("are refused before rendering", async ({ chartPage }) => {
    const specs: [string, unknown][] = [
      [
        VEGA,
        {
          signals: [{ name: "w", on: [{ events: "window:mousemove", update: "event.view.location.href" }] }],
        },
      ],
      [VL, { mark: "text", data: { values: [{}] }, encoding: { text: { signal: "datum.__proto__" } } }],
      [VL, { mark: "point", data: { values: [{}] }, params: [{ name: "p", expr: "datum['constructor']" }] }],
      [VEGA, { signals: [{ name: "g", update: "view()._el.ownerDocument" }] }],
    ];
    const results = await render(
      chartPage,
      specs.map(([mimeType, spec], i) => ({ id: `gadget-${i}`, mimeType, spec })),
    );
    for (const result of results) {
      expect(result.state, result.id).toBe("error");
      expect(result.message).toMatch(/^Refused: the expression/);
    }
  });

  test("and chains the guard cannot see are inert in the interpreter", async ({ chartPage, problems }) => {
    // Computed names pass the static guard; the interpreter hands out nothing usable for them.
    // The rect is red when `fn` came out empty and blue if Function had leaked into the signal.
    const spec = {
      $schema: "https://vega.github.io/schema/vega/v6.json",
      width: 50,
      height: 50,
      padding: 0,
      signals: [
        { name: "ctor", update: "'con' + 'structor'" },
        { name: "fn", update: "({})[ctor][ctor]" },
      ],
      marks: [
        {
          type: "rect",
          encode: {
            update: {
              x: { value: 0 },
              y: { value: 0 },
              width: { value: 50 },
              height: { value: 50 },
              fill: { signal: "fn == null ? 'rgb(255, 0, 0)' : 'rgb(0, 0, 255)'" },
            },
          },
        },
      ],
    };
    const result = await renderOne(chartPage, { mimeType: VEGA, spec });
    expect(result.state, result.message).toBe("rendered");
    const pixel = await chartPage.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-chart-id="chart"] canvas');
      const context = canvas?.getContext("2d");
      return context ? Array.from(context.getImageData(10, 10, 1, 1).data.slice(0, 3)) : null;
    });
    expect(pixel).toEqual([255, 0, 0]);
    // The interpreter refused to hand out Function and said so.
    expect(problems.consoleErrors.some((line) => line.includes("Prevented interpretation"))).toBe(true);
    // A call through the chain does not even parse: callees must be plain function names.
    const call = await renderOne(chartPage, {
      mimeType: VEGA,
      spec: {
        signals: [
          { name: "x", update: "({})['con' + 'structor']['con' + 'structor']('window.__pwned = 1')()" },
        ],
      },
    });
    expect(call.state).toBe("error");
    expect(await globals(chartPage)).toEqual(UNTOUCHED);
  });

  test("a spec cannot switch the interpreter off through usermeta.embedOptions", async ({ chartPage }) => {
    const spec = {
      data: { values: [{ a: 1, b: 2 }] },
      mark: "point",
      encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } },
      transform: [{ calculate: "datum.a * 2", as: "c" }],
      usermeta: { embedOptions: { ast: false, actions: true, editorUrl: "https://evil.example/" } },
    };
    const result = await renderOne(chartPage, { mimeType: VL, spec });
    expect(result.state).toBe("rendered");
    expect(result.warnings?.[0]).toContain("usermeta.embedOptions was ignored");
    expect(await chartPage.evaluate(() => window.flintHarness.violations())).toEqual([]);
    await expect(chartPage.locator(".vega-actions")).toHaveCount(0);
  });
});

test.describe("case 13: only allow-listed data sources load", () => {
  test("outside URLs are refused with a visible error and never requested", async ({
    chartPage,
    harness,
    problems,
  }) => {
    const urls = [
      "http://169.254.169.254/latest/meta-data/",
      "file:///etc/passwd",
      "https://evil.example/?x=",
      "/private/secret.json",
      "/vega-datasets/../private/secret.json",
    ];
    const results = await render(
      chartPage,
      urls.map((url, i) => ({
        id: `url-${i}`,
        mimeType: VL,
        spec: { data: { url }, mark: "point", encoding: { x: { field: "a", type: "quantitative" } } },
      })),
    );
    for (const result of results) {
      expect(result.state, result.id).toBe("error");
      expect(result.message).toMatch(/^Blocked data source/);
    }
    await expect(chartPage.locator('[role="alert"]')).toHaveCount(urls.length);
    expect(problems.external).toEqual([]);
    expect(harness.requests.filter((p) => p.startsWith("/private"))).toEqual([]);
  });

  test("URLs computed at run time go through the same allow-list", async ({
    chartPage,
    problems,
    harness,
  }) => {
    const spec = {
      $schema: "https://vega.github.io/schema/vega/v6.json",
      signals: [{ name: "host", value: "169.254.169.254" }],
      data: [
        { name: "d", url: { signal: "'http://' + host + '/latest/meta-data/'" }, format: { type: "json" } },
      ],
    };
    const result = await renderOne(chartPage, { mimeType: VEGA, spec });
    expect(result.state).toBe("error");
    expect(result.message).toContain("169.254.169.254");
    const image = await renderOne(chartPage, {
      mimeType: VL,
      spec: {
        data: { values: [{ x: 1, img: "https://evil.example/pixel.png?c=1" }] },
        mark: { type: "image", width: 20, height: 20 },
        encoding: { x: { field: "x", type: "quantitative" }, url: { field: "img" } },
      },
    });
    expect(image.state === "error" || image.state === "rendered").toBe(true);
    await expect(chartPage.locator('[data-chart-id="chart"] [role="alert"]').last()).toContainText(
      "evil.example",
    );
    expect(problems.external).toEqual([]);
    expect(harness.requests.some((p) => p.includes("meta-data"))).toBe(false);
  });

  test("the viewer's data is never read: the API is off the list and nothing sends cookies (case 32)", async ({
    chartPage,
    harness,
    context,
  }) => {
    // The viewer is signed in to this origin: a request with cookies would answer with their data.
    await context.addCookies([{ name: "session", value: "viewer-session", url: harness.url }]);
    // The harness serves every test of the run: only this test's requests count.
    const seenBefore = harness.cookies.length;
    const me = await renderOne(chartPage, {
      mimeType: VL,
      spec: { data: { url: "/api/v1/me" }, mark: "text", encoding: { text: { field: "email" } } },
    });
    expect(me.state).toBe("error");
    expect(me.message).toContain('Blocked data source "/api/v1/me"');
    // Computed at run time, the same.
    const computed = await renderOne(chartPage, {
      mimeType: VEGA,
      spec: {
        signals: [{ name: "p", value: "me" }],
        data: [{ name: "d", url: { signal: "'/api/v1/' + p" }, format: { type: "json" } }],
      },
    });
    expect(computed.state).toBe("error");
    expect(computed.message).toContain("/api/v1/me");
    expect(harness.requests.filter((p) => p.startsWith("/api/v1/me"))).toEqual([]);

    // A route the caller lists as chart-safe loads, and without the viewer's cookie.
    const rows = await renderOne(chartPage, {
      mimeType: VL,
      allowedDataOrigins: ["/vega-datasets/", "/api/v1/test/"],
      spec: {
        data: { url: "/api/v1/test/rows.json" },
        mark: "bar",
        encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" } },
      },
    });
    expect(rows.state).toBe("rendered");
    const cars = await renderOne(chartPage, {
      mimeType: VL,
      spec: { data: { url: "data/cars.json" }, mark: "point", encoding: { x: { field: "Horsepower" } } },
    });
    expect(cars.state).toBe("rendered");
    const loads = harness.cookies
      .slice(seenBefore)
      .filter((c) => c.path.startsWith("/api/v1/test/") || c.path.includes("cars"));
    expect(loads.map((c) => c.path)).toEqual(["/api/v1/test/rows.json", "/vega-datasets/data/cars.json"]);
    expect(loads.map((c) => c.cookie)).toEqual([null, null]);
    // The page itself did carry the cookie: the harness would have seen one.
    expect(harness.cookies.some((c) => c.cookie?.includes("viewer-session"))).toBe(true);
  });

  test("a link to another site opens only from a box that shows it (case 32)", async ({
    chartPage,
    harness,
    problems,
    context,
  }) => {
    const target = "https://evil.example/collect?rows=secret";
    const spec = {
      width: 300,
      height: 300,
      autosize: "none",
      padding: 0,
      data: { values: [{ x: 1, y: 1, link: target }] },
      mark: { type: "point", size: 40000, filled: true },
      encoding: {
        x: { field: "x", type: "quantitative", scale: { domain: [0, 2] }, axis: null },
        y: { field: "y", type: "quantitative", scale: { domain: [0, 2] }, axis: null },
        href: { field: "link" },
      },
    };
    const result = await renderOne(chartPage, { mimeType: VL, spec });
    expect(result.state).toBe("rendered");
    const popups: string[] = [];
    context.on("page", (popup) => popups.push(popup.url()));
    const before = chartPage.url();
    await chartPage.locator('[data-chart-id="chart"] canvas').click({ position: { x: 150, y: 150 } });
    const box = chartPage.getByRole("dialog", { name: "Open link to another site" });
    await expect(box).toContainText(target);
    await chartPage.waitForTimeout(500);
    expect(chartPage.url()).toBe(before);
    expect(popups).toEqual([]);
    expect(problems.external).toEqual([]);
    // Cancel closes it; the second click is the person's own, on a real link.
    await box.getByRole("button", { name: "Cancel" }).click();
    await expect(box).toHaveCount(0);
    await chartPage.locator('[data-chart-id="chart"] canvas').click({ position: { x: 150, y: 150 } });
    await expect(box.getByRole("link", { name: "Open link" })).toHaveAttribute("href", target);
    await expect(box.getByRole("link", { name: "Open link" })).toHaveAttribute(
      "rel",
      "noopener noreferrer nofollow",
    );

    // A link within the page's origin is followed as before.
    await chartPage.evaluate(() => window.flintHarness.clear());
    const local = await renderOne(chartPage, {
      mimeType: VL,
      spec: {
        ...spec,
        data: { values: [{ x: 1, y: 1, link: `${harness.url}vega-datasets/data/cars.json` }] },
      },
    });
    expect(local.state).toBe("rendered");
    const popup = context.waitForEvent("page");
    await chartPage.locator('[data-chart-id="chart"] canvas').click({ position: { x: 150, y: 150 } });
    expect((await popup).url()).toBe(`${harness.url}vega-datasets/data/cars.json`);
  });

  test("a javascript: link on a mark never becomes a link", async ({ chartPage, problems, context }) => {
    const spec = {
      width: 300,
      height: 300,
      autosize: "none",
      padding: 0,
      data: { values: [{ x: 1, y: 1, link: "javascript:window.__pwned=1" }] },
      mark: { type: "point", size: 40000, filled: true },
      encoding: {
        x: { field: "x", type: "quantitative", scale: { domain: [0, 2] }, axis: null },
        y: { field: "y", type: "quantitative", scale: { domain: [0, 2] }, axis: null },
        href: { field: "link" },
      },
    };
    const result = await renderOne(chartPage, { mimeType: VL, spec });
    expect(result.state).toBe("rendered");
    const before = chartPage.url();
    const popups: string[] = [];
    context.on("page", (popup) => popups.push(popup.url()));
    await chartPage.locator('[data-chart-id="chart"] canvas').click({ position: { x: 150, y: 150 } });
    await chartPage.waitForTimeout(500);
    expect(chartPage.url()).toBe(before);
    expect(popups).toEqual([]);
    expect(problems.dialogs).toEqual([]);
    expect(await globals(chartPage)).toEqual(UNTOUCHED);
    await expect(chartPage.locator('[data-chart-id="chart"] [role="alert"]')).toContainText("javascript:");
    const constant = await renderOne(chartPage, {
      mimeType: VL,
      spec: { ...spec, encoding: { ...spec.encoding, href: { value: "javascript:alert(1)" } } },
    });
    expect(constant.warnings?.join(" ")).toContain("was removed");
  });
});

test.describe("case 14: caps keep the tab responsive", () => {
  test("a 1e9-row sequence, a 1e9-pixel width and 50 MB of inline values get error cards", async ({
    chartPage,
  }) => {
    const results = await chartPage.evaluate(async () => {
      const text = "x".repeat(1000);
      const big = Array.from({ length: 50_000 }, (_, i) => ({ i, text }));
      return window.flintHarness.render(
        [
          {
            id: "sequence",
            mimeType: "application/vnd.vegalite.v6+json",
            spec: {
              data: { sequence: { start: 0, stop: 1e9, as: "x" } },
              mark: "point",
              encoding: { x: { field: "x" } },
            },
          },
          {
            id: "width",
            mimeType: "application/vnd.vegalite.v6+json",
            spec: {
              width: 1e9,
              data: { values: [{ a: 1 }] },
              mark: "point",
              encoding: { x: { field: "a" } },
            },
          },
          {
            id: "values",
            mimeType: "application/vnd.vegalite.v6+json",
            spec: { data: { values: big }, mark: "point", encoding: { x: { field: "i" } } },
          },
          {
            id: "vega-sequence",
            mimeType: "application/vnd.vega.v6+json",
            spec: { data: [{ name: "s", transform: [{ type: "sequence", start: 0, stop: 1e9 }] }] },
          },
        ],
        10_000,
      );
    });
    expect(Object.fromEntries(results.map((r) => [r.id, r.state]))).toEqual({
      sequence: "error",
      width: "error",
      values: "error",
      "vega-sequence": "error",
    });
    expect(results.find((r) => r.id === "values")?.message).toBe("the chart spec is larger than 20 MB");
    // The page still answers (a hung renderer would time the evaluate out).
    expect(await chartPage.evaluate(() => 1 + 1)).toBe(2);
    await expect(chartPage.locator('[role="alert"]')).toHaveCount(4);
  });
});
