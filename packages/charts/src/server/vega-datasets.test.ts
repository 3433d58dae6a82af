import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { handleVegaDatasetRequest, resolveVegaDatasetFile } from "./vega-datasets";

describe("resolveVegaDatasetFile", () => {
  it("maps dataset paths to the package's files", () => {
    const cars = resolveVegaDatasetFile("/vega-datasets/data/cars.json");
    expect(cars?.contentType).toBe("application/json; charset=utf-8");
    expect(cars && existsSync(cars.file)).toBe(true);
    expect(resolveVegaDatasetFile("/vega-datasets/data/stocks.csv")?.contentType).toBe(
      "text/csv; charset=utf-8",
    );
    expect(resolveVegaDatasetFile("/vega-datasets/data/ffox.png")?.contentType).toBe("image/png");
  });

  it.each([
    "/vega-datasets/data/../package.json",
    "/vega-datasets/data/..%2fpackage.json",
    "/vega-datasets/data/%2e%2e/package.json",
    "/vega-datasets/data/.hidden.json",
    "/vega-datasets/data/sub/cars.json",
    "/vega-datasets/package.json",
    "/vega-datasets/data/cars.exe",
    "/vega-datasets/data/%E0%A4%A",
    "/other/data/cars.json",
  ])("refuses %s", (path) => {
    expect(resolveVegaDatasetFile(path)).toBeNull();
  });
});

describe("handleVegaDatasetRequest", () => {
  it("serves files and passes on everything else", async () => {
    const server = createServer((req, res) => {
      handleVegaDatasetRequest(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end("not ours");
      });
    });
    await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cars = await fetch(`${base}/vega-datasets/data/cars.json`);
      expect(cars.status).toBe(200);
      expect(cars.headers.get("x-content-type-options")).toBe("nosniff");
      expect(((await cars.json()) as unknown[]).length).toBeGreaterThan(400);
      expect((await fetch(`${base}/vega-datasets/data/nope.json`)).status).toBe(404);
      expect((await fetch(`${base}/vega-datasets/data/..%2f..%2fpackage.json`)).status).toBe(404);
      expect((await fetch(`${base}/vega-datasets/data/cars.json`, { method: "POST" })).status).toBe(404);
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});
