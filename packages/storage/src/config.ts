/**
 * FLINT_STORAGE_URL and the S3 settings beside it, parsed into a {@link TStorageConfig}. Called by
 * `loadConfig` (the only place a server reads its environment); errors say which variable is
 * wrong and what to write instead.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Credentials of an S3-compatible store; never sent to a browser. */
export type TS3Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** Where Flint keeps its files. */
export type TStorageConfig =
  | {
      kind: "file";
      /** The folder that holds `projects/<id>/...` (default `<dataDir>/storage`). */
      root: string;
    }
  | {
      kind: "s3";
      bucket: string;
      /** Key prefix inside the bucket, without leading or trailing `/` ("" for the bucket's root). */
      prefix: string;
      /** An S3-compatible endpoint (`http://127.0.0.1:9000`); unset: AWS's own for the region. */
      endpoint?: string;
      region: string;
      /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
      forcePathStyle: boolean;
      /** From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN); unset: the SDK's chain. */
      credentials?: TS3Credentials;
    };

/** The variables {@link parseStorageConfig} reads. */
export type TStorageEnv = {
  FLINT_STORAGE_URL?: string;
  FLINT_S3_ENDPOINT?: string;
  FLINT_S3_PATH_STYLE?: string;
  AWS_REGION?: string;
  AWS_DEFAULT_REGION?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_SESSION_TOKEN?: string;
};

// S3's own bucket naming rules (3-63 characters, lower case, digits, dots and hyphens).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses FLINT_STORAGE_URL: unset or empty is the data folder's `storage/` (Flint's behaviour
 * before the setting existed); `file:///abs/path` a folder; `s3://bucket/prefix` a bucket.
 * @throws Error whose message starts with the variable's name.
 */
export function parseStorageConfig(env: TStorageEnv, dataDir: string): TStorageConfig {
  const text = env.FLINT_STORAGE_URL?.trim();
  if (!text) return { kind: "file", root: path.join(dataDir, "storage") };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(
      `FLINT_STORAGE_URL: '${text.slice(0, 200)}' is not a URL; write file:///absolute/folder or s3://bucket/prefix.`,
    );
  }
  if (url.protocol === "file:") {
    if (url.host && url.host !== "localhost") {
      throw new Error(
        "FLINT_STORAGE_URL: a file:// URL names a folder on this machine (file:///path), not a host.",
      );
    }
    const root = fileURLToPath(url);
    if (root === "/") throw new Error("FLINT_STORAGE_URL: file:/// names the whole disk; name a folder.");
    return { kind: "file", root: path.resolve(root) };
  }
  if (url.protocol !== "s3:") {
    throw new Error(
      `FLINT_STORAGE_URL: the scheme ${url.protocol} is not supported; write file:///absolute/folder or s3://bucket/prefix.`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new Error(
      "FLINT_STORAGE_URL: put no credentials, query or fragment in the URL; credentials go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
    );
  }
  const bucket = url.hostname;
  if (!BUCKET.test(bucket)) {
    throw new Error(
      `FLINT_STORAGE_URL: '${bucket}' is not a valid bucket name (3-63 lower-case letters, digits, dots and hyphens).`,
    );
  }
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  // The URL parser folds `a/../b` into `b`: look at what was written.
  const written = text.slice(`s3://${bucket}`.length);
  if (/(^|\/)\.\.?(\/|$)/.test(written) || prefix.includes("//")) {
    throw new Error("FLINT_STORAGE_URL: the prefix must not contain '.', '..' or empty parts.");
  }
  let endpoint: string | undefined;
  if (env.FLINT_S3_ENDPOINT?.trim()) {
    const candidate = env.FLINT_S3_ENDPOINT.trim().replace(/\/+$/, "");
    let parsed: URL;
    try {
      parsed = new URL(candidate);
    } catch {
      throw new Error(`FLINT_S3_ENDPOINT: '${candidate.slice(0, 200)}' is not a URL (http://host:port).`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new Error("FLINT_S3_ENDPOINT: use an http:// or https:// URL.");
    }
    if (parsed.username || parsed.password) {
      throw new Error(
        "FLINT_S3_ENDPOINT: put no credentials in the URL; use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
      );
    }
    endpoint = candidate;
  }
  const pathStyle = (env.FLINT_S3_PATH_STYLE ?? "").trim().toLowerCase();
  if (pathStyle && !["true", "false"].includes(pathStyle)) {
    throw new Error(`FLINT_S3_PATH_STYLE: write true or false, not '${pathStyle.slice(0, 50)}'.`);
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new Error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: set both or neither.");
  }
  return {
    kind: "s3",
    bucket,
    prefix,
    endpoint,
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || "us-east-1",
    // A custom endpoint is usually a self-hosted store, which answers on paths, not bucket hosts.
    forcePathStyle: pathStyle ? pathStyle === "true" : endpoint !== undefined,
    credentials:
      accessKeyId && secretAccessKey
        ? {
            accessKeyId,
            secretAccessKey,
            ...(env.AWS_SESSION_TOKEN?.trim() ? { sessionToken: env.AWS_SESSION_TOKEN.trim() } : {}),
          }
        : undefined,
  };
}

/** The storage as a URL for logs and health: no credentials. */
export function describeStorage(config: TStorageConfig): string {
  if (config.kind === "file") return `file://${config.root}`;
  const where = `s3://${config.bucket}${config.prefix ? `/${config.prefix}` : ""}`;
  return config.endpoint ? `${where} at ${config.endpoint}` : `${where} (${config.region})`;
}
