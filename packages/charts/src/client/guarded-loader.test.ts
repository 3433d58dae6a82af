// The loader's run-time half of case 32, in Node: what it asks fetch for, and what it does with
// links. The browser half (cookies really not sent, the confirmation box) is in
// test/security.spec.ts and e2e/chart-safety.spec.ts.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_DATA_URL_POLICY } from "../spec-guard";
import { createGuardedLoader } from "./guarded-loader";

type TLoader = {
  sanitize(
    uri: string,
    opts?: { context?: string },
  ): Promise<{ href: string; target?: string; rel?: string }>;
  load(uri: string, opts?: { context?: string }): Promise<string>;
};

let base = "";
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
const server = createServer((req, res) => {
  seen.push({ url: req.url ?? "", headers: req.headers });
  res.writeHead(200, { "content-type": "application/json" });
  res.end('[{"a":1}]');
});

beforeAll(async () => {
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  vi.stubGlobal("location", new URL(`${base}community/charts/c1`));
});
afterAll(async () => {
  vi.unstubAllGlobals();
  await new Promise<void>((done) => server.close(() => done()));
});

function loaderWith(events: { blocked: string[]; external: string[] }): TLoader {
  return createGuardedLoader({
    policy: { ...DEFAULT_DATA_URL_POLICY, allowedPrefixes: [`${base}vega-datasets/`] },
    onBlocked: (url) => events.blocked.push(url),
    onExternalLink: (href) => events.external.push(href),
  }) as unknown as TLoader;
}

describe("createGuardedLoader", () => {
  it("fetches allowed data without credentials and refuses the API", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const events = { blocked: [] as string[], external: [] as string[] };
    const loader = loaderWith(events);
    expect(await loader.load(`${base}vega-datasets/data/cars.json`)).toBe('[{"a":1}]');
    expect(fetchSpy).toHaveBeenCalledWith(`${base}vega-datasets/data/cars.json`, {
      credentials: "omit",
      redirect: "error",
    });
    await expect(loader.load("/api/v1/me")).rejects.toThrow("is not an allowed data location");
    expect(events.blocked).toEqual(["/api/v1/me"]);
    expect(seen.map((request) => request.url)).toEqual(["/vega-datasets/data/cars.json"]);
    fetchSpy.mockRestore();
  });

  it("follows same-origin links and holds others for the person to confirm", async () => {
    const events = { blocked: [] as string[], external: [] as string[] };
    const loader = loaderWith(events);
    expect(await loader.sanitize("/projects/p1", { context: "href" })).toEqual({
      href: `${base}projects/p1`,
      target: "_blank",
      rel: "noopener noreferrer nofollow",
    });
    await expect(loader.sanitize("https://evil.example/?stolen=1", { context: "href" })).rejects.toThrow(
      "links to other sites are confirmed first",
    );
    expect(events.external).toEqual(["https://evil.example/?stolen=1"]);
    await expect(loader.sanitize("javascript:alert(1)", { context: "href" })).rejects.toThrow(
      "only http, https and mailto",
    );
    expect(events.blocked).toEqual(["javascript:alert(1)"]);
  });
});
