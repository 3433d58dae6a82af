// Storage in an S3-compatible bucket end to end (issue 19, docs/deployment.md "Storage"): a Flint
// server with FLINT_STORAGE_URL=s3://... over moto's real S3 server. A CSV uploaded through the
// API lands in the bucket; the profiler reads it from there; a real kernel loads it with Spark
// (s3a://), registers a DataFrame to the bucket and loads it back; a run over the output cap keeps
// its full text in the bucket, served back by the API.

import { rmSync } from "node:fs";
import { createRunPreparer, createToken } from "@flint/api";
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { startTestS3, type TTestS3 } from "@flint/storage/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFlint, testPythonEnv } from "./test-server.js";

const SLOW_MS = 600_000;

let s3: TTestS3;
let stopFlint: (() => Promise<void>) | undefined;
let closeDb: () => Promise<void>;
let prisma: PrismaClient;
let baseUrl: string;
let token: string;
let dataDir: string;

async function call(method: string, url: string, body?: unknown) {
  const isForm = body instanceof FormData;
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body && !isForm ? { "content-type": "application/json" } : {}),
    },
    body: isForm ? body : body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A text answer (a full output).
  }
  return { status: response.status, body: json, text };
}

type TRunResult = { cellId: string; status: string; outputs: Array<Record<string, unknown>> };

function textOf(result: TRunResult): string {
  return result.outputs
    .map((output) => {
      if (typeof output.text === "string") return output.text;
      const data = output.data as Record<string, unknown> | undefined;
      if (data?.["text/plain"]) return String(data["text/plain"]);
      if (output.output_type === "error") return `${output.ename}: ${output.evalue}`;
      return "";
    })
    .join("");
}

beforeAll(async () => {
  s3 = await startTestS3();
  const db = await createTestDatabase();
  closeDb = db.close;
  prisma = db.prisma;
  const flint = await startTestFlint({
    prisma: db.prisma,
    dataDirPrefix: "flint-s3-storage-test-",
    env: { ...s3.env, FLINT_PYTHON_ENV: testPythonEnv },
    runtime: ({ config }) => ({
      // A dedicated Spark in the kernel: register() checks the written parts through its Hadoop
      // FileSystem, as the driver sees the bucket.
      env: { FLINT_SPARK_MODE: "dedicated" },
      prepareRun: createRunPreparer(db.prisma, config),
      maxOutputBytes: 4000,
    }),
  });
  stopFlint = flint.stop;
  baseUrl = flint.baseUrl;
  dataDir = flint.dataDir;
  const userId = `user-s3-${Date.now()}`;
  await prisma.user.create({ data: { id: userId, email: `${userId}@example.test`, name: "Bucket" } });
  token = (await createToken(prisma, userId, "test")).secret;
}, SLOW_MS);

afterAll(async () => {
  await stopFlint?.();
  await closeDb?.();
  await s3?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("FLINT_STORAGE_URL=s3://bucket/prefix", () => {
  it(
    "uploads, notebook datasets and full outputs live in the bucket; Spark reads and writes them as s3a://",
    async () => {
      const projectId = (await call("POST", "/api/v1/projects", { name: "Bucket" })).body.id as string;
      const rows = ["city,visitors", ...Array.from({ length: 40 }, (_, i) => `city_${i},${i * 10}`)];
      const csv = `${rows.join("\n")}\n`;
      const form = new FormData();
      form.append("projectId", projectId);
      form.append("name", "visits");
      form.append("file", new Blob([csv], { type: "text/csv" }), "visits.csv");
      const uploaded = await call("POST", "/api/v1/catalog/assets", form);
      expect(uploaded.status, uploaded.text).toBe(201);
      const assetId = uploaded.body.id as string;

      // The file is an object in the bucket under the URL's prefix, byte for byte; nothing of it
      // is in the data folder.
      const uploadKey = `flint/projects/${projectId}/uploads/visits.csv`;
      expect(await s3.read(uploadKey)).toBe(csv);
      const asset = await call("GET", `/api/v1/catalog/assets/${assetId}`);
      expect(JSON.stringify(asset.body)).toContain("visitors");

      const notebook = {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)" } },
        cells: [
          [
            "from flint import catalog",
            "df = catalog.load('visits')",
            "print(catalog.client().describe_load('visits')['read']['path'])",
            "print('rows', df.count(), 'sum', df.groupBy().sum('visitors').first()[0])",
          ].join("\n"),
          [
            "written = catalog.register(spark.range(250).withColumnRenamed('id', 'n'), 'numbers')",
            "print('registered', written['name'])",
          ].join("\n"),
          "back = catalog.load('numbers')\nprint('loaded', back.count(), back.agg({'n': 'max'}).first()[0])",
          "for i in range(400):\n    print(f'line {i:04d} ' + 'x' * 40)",
        ].map((source, index) => ({
          id: `c${index}`,
          cell_type: "code",
          source,
          metadata: {},
          outputs: [],
          execution_count: null,
        })),
      };
      const created = await call("POST", `/api/v1/projects/${projectId}/notebooks`, { name: "S3", notebook });
      expect(created.status, created.text).toBe(201);
      const notebookId = created.body.id as string;
      const run = await call("POST", `/api/v1/notebooks/${notebookId}/run`, {
        wait: true,
        timeoutMs: 540_000,
      });
      expect(run.status, run.text).toBe(200);
      const [loaded, registered, loadedBack, big] = (run.body.results as TRunResult[]).map(textOf);

      // The kernel read the upload from the bucket with Spark.
      expect(loaded).toContain(`s3a://${s3.bucket}/${uploadKey}`);
      expect(loaded).toContain("rows 40 sum 7800");
      // register() wrote Parquet parts to the bucket and recorded the asset; loading reads them back.
      expect(registered).toContain("registered numbers");
      const parts = await s3.keys(`flint/projects/${projectId}/datasets/numbers.parquet/`);
      expect(
        parts.some((key) => /\/part-[^/]+\.parquet$/.test(key)),
        parts.join("\n"),
      ).toBe(true);
      expect(parts.some((key) => key.includes("_temporary"))).toBe(false);
      expect(loadedBack).toContain("loaded 250 249");

      // The run over the 4 kB cap keeps its full text in the bucket; the API serves it from there.
      expect(big).toContain("output truncated");
      let full = await call("GET", `/api/v1/notebooks/${notebookId}/cells/c3/output`);
      for (let tries = 0; full.status === 404 && tries < 50; tries++) {
        // The upload to the bucket finishes just after the run is reported.
        await new Promise((resolve) => setTimeout(resolve, 100));
        full = await call("GET", `/api/v1/notebooks/${notebookId}/cells/c3/output`);
      }
      expect(full.status, full.text).toBe(200);
      expect(full.text).toContain("line 0000 ");
      expect(full.text).toContain("line 0399 ");
      expect((await s3.keys("flint/outputs/")).length).toBe(1);

      // The profiler's Spark read the upload from the bucket too.
      const deadline = Date.now() + 400_000;
      let profile: Record<string, unknown> | null = null;
      while (Date.now() < deadline) {
        const answer = await call("GET", `/api/v1/catalog/assets/${assetId}/profile`);
        profile = answer.body.profile as Record<string, unknown> | null;
        if (profile && (profile.status === "done" || profile.status === "failed")) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(profile?.status, JSON.stringify(profile)).toBe("done");
      expect(JSON.stringify(profile)).toContain('"rowCount":40');
    },
    SLOW_MS,
  );
});
