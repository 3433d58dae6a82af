// For tests: a real S3-compatible server (moto's server mode, installed by `npm test` into its own
// environment, FLINT_MOTO_ENV) on a free port, with a fresh bucket. Not used by the product.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { TStorageEnv } from "./config.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** moto's environment (`npm test` makes it). */
export const testMotoEnv = process.env.FLINT_MOTO_ENV ?? path.join(root, ".flint/moto");

/** A running S3 server with one bucket; `env` is what a Flint server is configured with. */
export type TTestS3 = {
  endpoint: string;
  bucket: string;
  env: Required<
    Pick<
      TStorageEnv,
      "FLINT_STORAGE_URL" | "FLINT_S3_ENDPOINT" | "AWS_REGION" | "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY"
    >
  >;
  /** A client of the server, to look in the bucket as an operator would. */
  client: S3Client;
  /** The keys in the bucket under `prefix` (whole bucket keys, with the URL's `flint/` prefix). */
  keys: (prefix: string) => Promise<string[]>;
  /** An object's text, or null when there is none. */
  read: (key: string) => Promise<string | null>;
  stop: () => Promise<void>;
};

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts moto's S3 server and makes a bucket; the prefix of FLINT_STORAGE_URL is `flint`. */
export async function startTestS3(): Promise<TTestS3> {
  const server = path.join(testMotoEnv, "bin", "moto_server");
  if (!existsSync(server)) {
    throw new Error(
      `moto's server is not installed in ${testMotoEnv}: run \`npm test\` once (or node scripts/flint.mjs test).`,
    );
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(server, ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${log}`);
    const ok = await fetch(`${endpoint}/moto-api/`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`moto_server did not answer within 30 s: ${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const bucket = `flint-test-${randomBytes(4).toString("hex")}`;
  const credentials = { accessKeyId: "flint-test", secretAccessKey: "flint-test-secret" };
  const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    client,
    env: {
      FLINT_STORAGE_URL: `s3://${bucket}/flint`,
      FLINT_S3_ENDPOINT: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    keys: async (prefix) => {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (page.Contents ?? []).map((item) => item.Key ?? "").sort();
    },
    read: async (key) => {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await object.Body?.transformToString()) ?? null;
      } catch (error) {
        if ((error as { name?: string }).name === "NoSuchKey") return null;
        throw error;
      }
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
