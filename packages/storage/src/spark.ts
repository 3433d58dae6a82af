/**
 * What a Spark process (a kernel's session, a project's Spark Connect server, the profiler) needs
 * to read and write a store's {@link TObjectStore.sparkUri}s: nothing for a folder; for a bucket
 * the hadoop-aws jars and the `fs.s3a` settings, with the credentials in the process's environment
 * (S3A's default credential chain reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), never in a
 * Spark setting, which Spark's UI and event logs show.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import type { TS3Credentials, TStorageConfig } from "./config.js";

/** Where `node scripts/flint.mjs setup` puts the hadoop-aws jars: inside the Python environment. */
export function s3aJarsDir(pythonEnv: string): string {
  return path.join(pythonEnv, "share", "flint", "s3a-jars");
}

/** Spark settings and environment for a store; empty for a folder. */
export type TSparkStorageSettings = { conf: Record<string, string>; env: Record<string, string> };

/**
 * The settings for `config`. `credentials` are the ones Spark gets (default: the server's own);
 * see docs/deployment.md for giving kernels narrower ones.
 * @throws Error when the store is a bucket and the jars are missing (setup was not run with it).
 */
export function sparkStorageSettings(
  config: TStorageConfig,
  pythonEnv: string,
  credentials: TS3Credentials | undefined = config.kind === "s3" ? config.credentials : undefined,
): TSparkStorageSettings {
  if (config.kind === "file") return { conf: {}, env: {} };
  const dir = s3aJarsDir(pythonEnv);
  let jars: string[] = [];
  try {
    jars = readdirSync(dir)
      .filter((name) => name.endsWith(".jar"))
      .sort()
      .map((name) => path.join(dir, name));
  } catch {
    // Reported below.
  }
  if (!jars.some((jar) => path.basename(jar).startsWith("hadoop-aws-"))) {
    throw new Error(
      `FLINT_STORAGE_URL is an s3:// URL but the hadoop-aws jars Spark needs are not in ${dir}: run \`node scripts/flint.mjs setup\` with FLINT_STORAGE_URL set (npm start does).`,
    );
  }
  const conf: Record<string, string> = {
    "spark.jars": jars.join(","),
    "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    "spark.hadoop.fs.s3a.path.style.access": String(config.forcePathStyle),
    "spark.hadoop.fs.s3a.endpoint.region": config.region,
    // Spark writes through the classic committer into `_temporary`, renamed on commit; S3A's
    // rename is a copy, slower but correct on one writer (docs/deployment.md).
    "spark.hadoop.fs.s3a.committer.name": "file",
  };
  if (config.endpoint) {
    conf["spark.hadoop.fs.s3a.endpoint"] = config.endpoint;
    conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = String(config.endpoint.startsWith("https:"));
  }
  const env: Record<string, string> = { AWS_REGION: config.region };
  if (credentials) {
    env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    if (credentials.sessionToken) env.AWS_SESSION_TOKEN = credentials.sessionToken;
  }
  return { conf, env };
}
