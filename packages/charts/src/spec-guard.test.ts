import { describe, expect, it } from "vitest";
import { isChartMimeType, parseChartMimeType } from "./mime";
import {
  checkExpression,
  classifyChartLink,
  guardSpec,
  resolveDataUrl,
  sanitizeHref,
  type TGuardResult,
} from "./spec-guard";

const VL = "application/vnd.vegalite.v6+json";
const VEGA = "application/vnd.vega.v6+json";

function refused(result: TGuardResult): { code: string; message: string; path?: string } {
  if (result.ok) throw new Error("expected the spec to be refused");
  return result.error;
}

function accepted(result: TGuardResult): Extract<TGuardResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected the spec to pass: ${result.error.message}`);
  return result;
}

describe("MIME types", () => {
  it.each([
    ["application/vnd.vegalite.v5+json", "vega-lite", 5],
    ["application/vnd.vegalite.v6.json", "vega-lite", 6],
    ["application/vnd.vegalite.v6+json", "vega-lite", 6],
    ["application/vnd.vega.v5+json", "vega", 5],
    ["application/vnd.vega.v6.json", "vega", 6],
  ])("reads %s", (mime, mode, majorVersion) => {
    expect(parseChartMimeType(mime)).toEqual({ mode, majorVersion });
  });

  it("refuses other types and versions", () => {
    for (const mime of [
      "application/vnd.vegalite.v4+json",
      "text/html",
      "application/json",
      "application/vnd.vega.v7+json",
    ]) {
      expect(isChartMimeType(mime)).toBe(false);
      expect(refused(guardSpec({ mark: "bar" }, mime)).code).toBe("invalid-spec");
    }
    expect(refused(guardSpec([1, 2], VL)).message).toBe("the chart spec is not a JSON object");
    expect(refused(guardSpec("{}", VL)).code).toBe("invalid-spec");
  });
});

describe("data URLs", () => {
  it("resolves relative and public vega-datasets URLs to the local copy", () => {
    expect(resolveDataUrl("data/cars.json")).toEqual({ ok: true, url: "/vega-datasets/data/cars.json" });
    expect(resolveDataUrl("https://cdn.jsdelivr.net/npm/vega-datasets@v1.29.0/data/stocks.csv")).toEqual({
      ok: true,
      url: "/vega-datasets/data/stocks.csv",
    });
    expect(resolveDataUrl("https://vega.github.io/vega-datasets/data/cars.json")).toEqual({
      ok: true,
      url: "/vega-datasets/data/cars.json",
    });
  });

  it("refuses Flint's API by default: it answers with the viewer's data (case 32)", () => {
    for (const url of ["/api/v1/me", "/api/v1/projects/p1/assets/a1/rows?limit=10", "api/../../api/v1/me"]) {
      const result = resolveDataUrl(url);
      expect(result.ok, url).toBe(false);
      if (!result.ok) expect(result.reason).toContain("is not an allowed data location (/vega-datasets/)");
    }
    const error = refused(
      guardSpec({ data: { url: "/api/v1/me" }, mark: "text", encoding: { text: { field: "email" } } }, VL),
    );
    expect(error).toMatchObject({ code: "blocked-url", path: "data.url" });
    expect(error.message).toContain('Blocked data source "/api/v1/me"');
    const vega = refused(guardSpec({ data: [{ name: "me", url: "/api/v1/me" }] }, VEGA));
    expect(vega.code).toBe("blocked-url");
  });

  it("allows a route only when the caller lists it as chart-safe", () => {
    const policy = {
      allowedPrefixes: ["/vega-datasets/", "/api/v1/public-data/"],
      baseUrl: "/vega-datasets/",
    };
    expect(resolveDataUrl("/api/v1/public-data/rows.json", policy)).toEqual({
      ok: true,
      url: "/api/v1/public-data/rows.json",
    });
    expect(resolveDataUrl("/api/v1/me", policy).ok).toBe(false);
    expect(resolveDataUrl("/api/v1/public-data/../me", policy).ok).toBe(false);
  });

  it.each([
    ["http://169.254.169.254/latest/meta-data/", "data from 169.254.169.254 is not allowed"],
    ["file:///etc/passwd", "file: URLs are not allowed"],
    ["https://evil.example/?x=1", "data from evil.example is not allowed"],
    ["//evil.example/x.json", "data from evil.example is not allowed"],
    ["data:text/csv,a%0A1", "data: URLs are not allowed"],
    ["javascript:alert(1)", "javascript: URLs are not allowed"],
    ["/vega-datasets/../api/v2/secret", "/api/v2/secret is not an allowed data location"],
    ["/vega-datasets/%2e%2e/private", "/private is not an allowed data location"],
    ["/api/v1/..%2f..%2fadmin", "encoded slashes or dots in the path are not allowed"],
    ["/\\evil.example/x", "the URL contains control characters or backslashes"],
    ["/api/v1/\tx", "the URL contains control characters or backslashes"],
    ["/private/data.json", "/private/data.json is not an allowed data location"],
    ["", "the data URL is empty"],
  ])("refuses %j", (url, reason) => {
    const result = resolveDataUrl(url);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it("allows an absolute prefix only when the deployment lists it", () => {
    const policy = { allowedPrefixes: ["https://data.example.com/public/"], baseUrl: "/vega-datasets/" };
    expect(resolveDataUrl("https://data.example.com/public/a.csv", policy)).toEqual({
      ok: true,
      url: "https://data.example.com/public/a.csv",
    });
    expect(resolveDataUrl("https://data.example.com/private/a.csv", policy).ok).toBe(false);
    expect(resolveDataUrl("https://data.example.com.evil.example/public/a.csv", policy).ok).toBe(false);
  });

  it("rewrites data URLs in Vega-Lite, lookups and Vega without touching the input", () => {
    const values = Array.from({ length: 1000 }, (_, i) => ({ i }));
    const spec = {
      data: { url: "data/cars.json" },
      transform: [{ lookup: "id", from: { data: { url: "data/lookup_people.csv" }, key: "id" } }],
      layer: [{ data: { values }, mark: "point" }],
      mark: "point",
    };
    const before = JSON.stringify(spec);
    const result = accepted(guardSpec(spec, VL));
    expect(JSON.stringify(spec)).toBe(before);
    expect(result.spec.data).toEqual({ url: "/vega-datasets/data/cars.json" });
    expect(JSON.stringify(result.spec.transform)).toContain("/vega-datasets/data/lookup_people.csv");
    // Branches that were not rewritten are shared, not copied.
    expect((result.spec.layer as { data: { values: unknown } }[])[0]!.data.values).toBe(values);

    const vega = accepted(guardSpec({ data: [{ name: "t", url: "data/stocks.csv" }] }, VEGA));
    expect(vega.spec.data).toEqual([{ name: "t", url: "/vega-datasets/data/stocks.csv" }]);
    expect(vega.mode).toBe("vega");
  });

  it("refuses a spec whose data comes from outside the allow-list (case 13)", () => {
    for (const url of [
      "http://169.254.169.254/latest/meta-data/",
      "file:///etc/passwd",
      "https://evil.example/?x=",
    ]) {
      const error = refused(guardSpec({ data: { url }, mark: "point" }, VL));
      expect(error.code).toBe("blocked-url");
      expect(error.message).toContain(JSON.stringify(url));
      expect(error.path).toBe("data.url");
    }
    const nested = refused(guardSpec({ data: [{ name: "a", url: "https://evil.example/a.json" }] }, VEGA));
    expect(nested.path).toBe("data[0].url");
    const lookup = refused(
      guardSpec(
        {
          mark: "point",
          transform: [{ lookup: "k", from: { data: { url: "file:///etc/passwd" }, key: "k" } }],
        },
        VL,
      ),
    );
    expect(lookup.path).toBe("transform[0].from.data.url");
  });
});

describe("links", () => {
  it.each([
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
  ])("refuses %j", (href) => {
    expect(sanitizeHref(href)).toBeNull();
  });

  it("keeps http(s), mailto and relative links", () => {
    expect(sanitizeHref("https://www.google.com/search?q=x")).toBe("https://www.google.com/search?q=x");
    expect(sanitizeHref("mailto:a@example.com")).toBe("mailto:a@example.com");
    expect(sanitizeHref("/projects/p1")).toBe("/projects/p1");
  });

  it("tells links to the page's own origin from links elsewhere (case 32)", () => {
    const page = "http://127.0.0.1:3000/community/charts/c1";
    expect(classifyChartLink("/projects/p1", page)).toEqual({
      kind: "same-origin",
      href: "http://127.0.0.1:3000/projects/p1",
    });
    expect(classifyChartLink("http://127.0.0.1:3000/x?y=1", page)?.kind).toBe("same-origin");
    for (const href of [
      "https://evil.example/?me=a@example.com",
      "//evil.example/x",
      "http://127.0.0.1:3001/x",
      "https://127.0.0.1:3000/x",
      "http://localhost:3000/x",
      "mailto:a@example.com",
    ]) {
      expect(classifyChartLink(href, page)?.kind, href).toBe("external");
    }
    expect(classifyChartLink("https://evil.example/a b", page)?.href).toBe("https://evil.example/ab");
    expect(classifyChartLink("javascript:alert(1)", page)).toBeNull();
    expect(classifyChartLink(42, page)).toBeNull();
  });

  it("removes constant javascript: links from specs with a warning", () => {
    const spec = {
      mark: { type: "point", href: "javascript:alert(1)" },
      encoding: { href: { value: "javascript:alert(2)" }, x: { field: "a" } },
    };
    const result = accepted(guardSpec(spec, VL));
    expect(JSON.stringify(result.spec)).not.toContain("javascript:");
    expect(result.warnings).toHaveLength(2);
    const fieldLink = accepted(guardSpec({ mark: "point", encoding: { href: { field: "url" } } }, VL));
    expect(fieldLink.warnings).toEqual([]); // links from fields are checked by the loader on click
  });
});

describe("caps (case 14)", () => {
  it("refuses a sequence of 1e9 rows, in Vega-Lite and in Vega", () => {
    const vl = refused(
      guardSpec({ data: { sequence: { start: 0, stop: 1e9, as: "x" } }, mark: "point" }, VL),
    );
    expect(vl).toMatchObject({ code: "too-large", path: "data.sequence" });
    expect(vl.message).toContain("1,000,000,000 rows");
    const vega = refused(
      guardSpec({ data: [{ name: "s", transform: [{ type: "sequence", start: 0, stop: 1e9 }] }] }, VEGA),
    );
    expect(vega.path).toBe("data[0].transform[0]");
    const signal = refused(
      guardSpec(
        { data: [{ name: "s", transform: [{ type: "sequence", start: 0, stop: { signal: "n" } }] }] },
        VEGA,
      ),
    );
    expect(signal.message).toContain("plain numbers");
    expect(
      refused(guardSpec({ data: { sequence: { start: 0, stop: 10, step: 0 } }, mark: "point" }, VL)).message,
    ).toContain("step other than 0");
    const impute = refused(
      guardSpec(
        { mark: "line", transform: [{ impute: "y", key: "x", keyvals: { start: 0, stop: 1e8 } }] },
        VL,
      ),
    );
    expect(impute.path).toBe("transform[0].keyvals");
    accepted(
      guardSpec({ data: { sequence: { start: 0, stop: 12.7, step: 0.1, as: "x" } }, mark: "line" }, VL),
    );
  });

  it("refuses sizes of 1e9 pixels", () => {
    expect(refused(guardSpec({ mark: "point", width: 1e9 }, VL))).toMatchObject({
      code: "too-large",
      path: "width",
    });
    expect(refused(guardSpec({ mark: "bar", height: { step: 1e9 } }, VL)).path).toBe("height");
    expect(refused(guardSpec({ mark: "bar", config: { view: { continuousWidth: 1e7 } } }, VL)).path).toBe(
      "config.view.continuousWidth",
    );
    expect(refused(guardSpec({ signals: [{ name: "width", value: 1e9 }] }, VEGA)).path).toBe("signals[0]");
    expect(
      refused(guardSpec({ data: [{ name: "d", transform: [{ type: "kde2d", size: [1e5, 1e5] }] }] }, VEGA))
        .path,
    ).toBe("data[0].transform[0].size");
    accepted(guardSpec({ mark: "point", width: "container", height: 300 }, VL));
  });

  it("refuses runaway bins, steps, ticks, iterations and graticules", () => {
    expect(
      refused(guardSpec({ mark: "bar", encoding: { x: { bin: { maxbins: 1e9 }, field: "a" } } }, VL)).path,
    ).toBe("encoding.x.bin.maxbins");
    expect(refused(guardSpec({ mark: "area", transform: [{ density: "a", steps: 1e8 }] }, VL)).path).toBe(
      "transform[0].steps",
    );
    expect(
      refused(guardSpec({ mark: "bar", encoding: { x: { field: "a", axis: { tickCount: 1e9 } } } }, VL)).path,
    ).toBe("encoding.x.axis.tickCount");
    expect(
      refused(guardSpec({ data: [{ name: "n", transform: [{ type: "force", iterations: 1e9 }] }] }, VEGA))
        .code,
    ).toBe("too-large");
    expect(
      refused(guardSpec({ data: { graticule: { step: [0.001, 0.001] } }, mark: "geoshape" }, VL)).code,
    ).toBe("too-large");
    accepted(guardSpec({ data: { graticule: { step: [15, 15] } }, mark: "geoshape" }, VL));
  });

  it("refuses more than 200,000 inline rows, counting every dataset", () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));
    expect(refused(guardSpec({ data: { values: rows(200_001) }, mark: "point" }, VL)).message).toBe(
      "the chart has more than 200,000 rows of inline data",
    );
    const split = refused(guardSpec({ datasets: { a: rows(150_000), b: rows(60_000) }, mark: "point" }, VL));
    expect(split.code).toBe("too-large");
    accepted(guardSpec({ data: { values: rows(200_000) }, mark: "point" }, VL));
    // Arrays inside rows are values, not rows.
    accepted(
      guardSpec({ data: { values: rows(150_000).map((r) => ({ ...r, tags: [1, 2] })) }, mark: "point" }, VL),
    );
  });

  it("refuses 50 MB of inline values by size", () => {
    const text = "x".repeat(1000);
    const values = Array.from({ length: 50_000 }, (_, i) => ({ i, text }));
    const error = refused(guardSpec({ data: { values }, mark: "point" }, VL));
    expect(error.message).toBe("the chart spec is larger than 20 MB");
  });

  it("accepts 200,000 ordinary rows", () => {
    const values = Array.from({ length: 200_000 }, (_, i) => ({
      a: i,
      b: i * 2,
      c: `row ${i}`,
      d: i % 3 === 0,
    }));
    accepted(guardSpec({ data: { values }, mark: "point" }, VL));
  });

  it("refuses JSON nested 100,000 deep without overflowing the stack", () => {
    let deep: Record<string, unknown> = {};
    const root = { mark: "point", usermeta: deep };
    for (let i = 0; i < 100_000; i++) {
      const next: Record<string, unknown> = {};
      deep.a = next;
      deep = next;
    }
    expect(refused(guardSpec(root, VL)).message).toBe("the spec is nested deeper than 200 levels");
  });
});

describe("expressions (cases 11 and 12)", () => {
  it.each([
    ["event.view.document.cookie", "event.view"],
    ["event['view'].localStorage", "event.view"],
    ["datum.__proto__.x", '"__proto__"'],
    ["datum['constructor']", '"constructor"'],
    ["datum.a.constructor.constructor('alert(1)')()", '"constructor"'],
    ["view()._el", '"_el"'],
    ["view().toString()", 'calls "view()"'],
    ["event.target.ownerDocument.defaultView", '"ownerDocument"'],
    ["{__proto__: 1}", '"__proto__"'],
  ])("refuses %j", (expression, reason) => {
    expect(checkExpression(expression)).toContain(reason);
  });

  it("accepts ordinary expressions, including a name like 'review'", () => {
    for (const expression of [
      "datum.price * 2",
      "datum.review > 3",
      "timeFormat(datum.date, '%Y')",
      "isValid(datum.x) && datum.x > 0",
      "(0//1/)-'\\\\\\n,eval(1))//'",
    ]) {
      expect(checkExpression(expression)).toBeNull();
    }
  });

  it("refuses gadget chains wherever expressions live in a spec", () => {
    const specs: [string, unknown][] = [
      [VEGA, { signals: [{ name: "s", update: "event.view.location" }] }],
      [VEGA, { signals: [{ name: "s", on: [{ events: "click[event.view]", update: "1" }] }] }],
      [VL, { mark: "point", transform: [{ calculate: "datum.__proto__", as: "p" }] }],
      [VL, { mark: "point", transform: [{ filter: "datum['constructor']" }] }],
      [VL, { mark: "point", params: [{ name: "p", expr: "event.view" }] }],
      [VL, { mark: "text", encoding: { text: { signal: "view()._el" } } }],
      [
        VL,
        { mark: "point", encoding: { x: { field: "a", axis: { labelExpr: "datum.label.constructor" } } } },
      ],
    ];
    for (const [mime, spec] of specs) {
      expect(refused(guardSpec(spec, mime)).code).toBe("forbidden-expression");
    }
  });

  it("does not mistake data for expressions", () => {
    const spec = {
      data: { values: [{ filter: "event.view", name: "constructor", update: "__proto__" }] },
      mark: "point",
      encoding: { x: { field: "constructor", type: "nominal" } },
    };
    accepted(guardSpec(spec, VL));
  });
});

describe("options the spec must not set", () => {
  it("drops usermeta.embedOptions (vega-embed would let it switch off the interpreter)", () => {
    const spec = {
      mark: "point",
      usermeta: { embedOptions: { ast: false, actions: true }, flint: { source: "df" } },
    };
    const result = accepted(guardSpec(spec, VL));
    expect(result.spec.usermeta).toEqual({ flint: { source: "df" } });
    expect(result.warnings[0]).toContain("usermeta.embedOptions was ignored");
    expect(spec.usermeta.embedOptions).toEqual({ ast: false, actions: true });
  });

  it("drops bind.element (widgets stay inside the chart)", () => {
    const spec = {
      mark: "point",
      params: [{ name: "p", value: 1, bind: { input: "range", element: "#app-header" } }],
    };
    const result = accepted(guardSpec(spec, VL));
    expect(JSON.stringify(result.spec)).not.toContain("#app-header");
  });

  it("warns when the $schema disagrees with the MIME type", () => {
    const result = accepted(
      guardSpec({ $schema: "https://vega.github.io/schema/vega/v5.json", marks: [] }, VL),
    );
    expect(result.warnings).toEqual([`the spec declares vega but arrived as ${VL}; drawn as vega-lite`]);
  });
});
