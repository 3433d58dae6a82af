/**
 * Flint's runtime configuration, read from the environment once and validated (STYLE.md: env
 * in one place, validated by zod). Secrets made at first start are kept in the data directory.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DEFAULT_MAX_UPLOAD_BYTES, parseSecretKey } from "@flint/catalog";
import { parseConnectionAllowList, type TConnectionPolicy } from "@flint/catalog/connection-guard";
import { parseStorageConfig, type TS3Credentials, type TStorageConfig } from "@flint/storage";

import { z } from "zod";
import { parseTrustedProxies, type TTrustedProxies } from "./client-address.js";

/** Who may create an account through the web or the API (the CLI always can). */
export const SIGN_UP_MODES = ["open", "invite", "closed"] as const;
export type TSignUpMode = (typeof SIGN_UP_MODES)[number];

const ZEnv = z.object({
  FLINT_DATA_DIR: z.string().default(".flint"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  FLINT_PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z.string().optional(),
  FLINT_MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_000_000),
  FLINT_AUTH_RATE_LIMIT: z.enum(["on", "off"]).default("on"),
  FLINT_PYTHON_ENV: z.string().optional(),
  JUPYTER_URL: z.url().optional(),
  JUPYTER_TOKEN: z.string().optional(),
  FLINT_WARM_KERNELS: z.coerce.number().int().min(0).max(16).default(1),
  FLINT_KERNEL_IDLE_MINUTES: z.coerce.number().positive().default(60),
  FLINT_MAX_OUTPUT_BYTES: z.coerce.number().int().positive().default(5_000_000),
  FLINT_SANDBOX: z.enum(["auto", "bwrap", "off"]).default("auto"),
  FLINT_SANDBOX_NETWORK: z.enum(["isolated", "host"]).optional(),
  FLINT_KERNEL_MEMORY_MB: z.coerce.number().int().min(0).default(4096),
  // A project's shared Spark (docs/spark.md): stopped after this many idle minutes (0: never),
  // with this much driver memory.
  FLINT_SPARK_IDLE_MINUTES: z.coerce.number().min(0).default(30),
  FLINT_SPARK_SERVER_MEMORY_MB: z.coerce.number().int().min(512).default(2048),
  FLINT_KERNELS_PER_USER: z.coerce.number().int().min(0).default(5),
  FLINT_SIGNUP: z.enum(SIGN_UP_MODES).default("open"),
  FLINT_TRUSTED_PROXIES: z.string().optional(),
  FLINT_DEMO: z.enum(["auto", "off"]).default("auto"),
  FLINT_CONNECTION_ALLOW: z.string().default(""),
  FLINT_KERNEL_API_URL: z.string().optional(),
  FLINT_CATALOG_MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(DEFAULT_MAX_UPLOAD_BYTES),
  FLINT_CATALOG_PROFILE_MAX_ROWS: z.coerce.number().int().positive().default(1_000_000),
  // Empty counts as unset, as a shell's `FLINT_DEMO_PASSWORD=` means.
  FLINT_DEMO_PASSWORD: z.string().optional(),
  FLINT_DEMO_TOKEN: z.string().optional(),
  BETTER_AUTH_SECRET: z.string().optional(),
  // Several web servers must share it (connection passwords are encrypted under it).
  FLINT_CATALOG_KEY: z.string().optional(),
  // Where files live (docs/deployment.md, "Storage"); checked by parseStorageConfig.
  FLINT_STORAGE_URL: z.string().optional(),
  // The folder of the projects' own files when FLINT_STORAGE_URL is a bucket or unset: several
  // servers need it on a shared file system (docs/deployment.md, "Project files").
  FLINT_PROJECTS_DIR: z.string().min(1).optional(),
  FLINT_S3_ENDPOINT: z.string().optional(),
  FLINT_S3_PATH_STYLE: z.string().optional(),
  AWS_REGION: z.string().optional(),
  AWS_DEFAULT_REGION: z.string().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
  FLINT_S3_KERNEL_ACCESS_KEY_ID: z.string().optional(),
  FLINT_S3_KERNEL_SECRET_ACCESS_KEY: z.string().optional(),
  // Several web servers on one database (docs/deployment.md, "Several web servers").
  FLINT_SERVER_NAME: z.string().min(1).max(200).optional(),
  FLINT_INTERNAL_URL: z.url().optional(),
  FLINT_CLUSTER_SECRET: z
    .string()
    .min(32, "FLINT_CLUSTER_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)")
    .optional(),
  FLINT_LEASE_SECONDS: z.coerce.number().min(2).max(600).default(15),
  NODE_ENV: z.string().optional(),
  // Model tracking (docs/models.md): `off` runs no MLflow server; the backend store's database.
  FLINT_MODELS: z.enum(["on", "off"]).default("on"),
  FLINT_MLFLOW_DATABASE_URL: z.string().optional(),
  // Deployments (docs/models.md): requests per deployment key per minute (0: no limit), and each
  // scoring process's memory limit (0: none).
  FLINT_DEPLOYMENT_KEY_RATE: z.coerce.number().int().min(0).default(6000),
  FLINT_DEPLOYMENT_MEMORY_MB: z.coerce.number().int().min(0).default(2048),
});

/** The validated configuration of one Flint process. */
export interface TConfig {
  dataDir: string;
  port: number;
  host: string;
  /** Origins a browser may call the API from (the server's own addresses). */
  trustedOrigins: string[];
  publicUrl: string;
  maxBodyBytes: number;
  /** Sign-in limits per client address and per account (FLINT_AUTH_RATE_LIMIT; tests turn them off). */
  isAuthRateLimited: boolean;
  /**
   * Reverse proxies whose `X-Forwarded-For` names the client (FLINT_TRUSTED_PROXIES); from
   * anyone else the header is ignored and the socket's address counts.
   */
  trustedProxies: TTrustedProxies;
  /**
   * FLINT_DEMO: `auto` seeds the demo user on a fresh database or when FLINT_DEMO_PASSWORD /
   * FLINT_DEMO_TOKEN is set; `off` (the docker image) never does.
   */
  isDemoAllowed: boolean;
  /**
   * Who may sign up (FLINT_SIGNUP): `open` anyone, `invite` only with a valid invitation for that
   * e-mail, `closed` nobody (accounts come from `flint user add`).
   */
  signUpMode: TSignUpMode;
  /** Secret for session signing; generated at first start and kept in the data directory. */
  authSecret: string;
  /** DATABASE_URL; unset: the embedded PostgreSQL in the data directory. */
  databaseUrl?: string;
  /** NODE_ENV=development: Next.js in dev mode (hot reload), relaxed page headers. */
  isDev: boolean;
  /** FLINT_DEMO_PASSWORD and FLINT_DEMO_TOKEN: the demo user's password and token, when set. */
  demo: { password?: string; token?: string };
  catalog: {
    /** Largest catalog (and project file) upload, in bytes (FLINT_CATALOG_MAX_UPLOAD_BYTES). */
    maxUploadBytes: number;
    /** Rows a profile reads before it samples (FLINT_CATALOG_PROFILE_MAX_ROWS). */
    profileMaxRows: number;
    /**
     * The key connection passwords are encrypted under (base64url, 32 bytes): FLINT_CATALOG_KEY,
     * else one made at first start in the data directory (one server only).
     */
    secretKey: string;
  };
  /**
   * Hosts and address ranges catalog connections may reach besides public addresses
   * (FLINT_CONNECTION_ALLOW); loopback, private, link-local and metadata addresses are refused
   * otherwise, so the server is no port scanner of its own network.
   */
  connectionPolicy: TConnectionPolicy;
  /**
   * Where uploads, notebook datasets and full outputs live (FLINT_STORAGE_URL): the data folder
   * or an S3-compatible bucket. Its credentials never reach a browser.
   */
  storage: TStorageConfig;
  /**
   * The folder of the projects' own files (`projects/<id>/`: the Files tab, kernels' working
   * folders): FLINT_STORAGE_URL's folder; when that is a bucket or unset, FLINT_PROJECTS_DIR or
   * `<dataDir>/storage`. Several web servers must see one folder here (cluster/shared-folder.ts).
   */
  storageRoot: string;
  /**
   * Model tracking (docs/models.md): whether Flint runs its MLflow tracking server (FLINT_MODELS),
   * and the backend store's database (FLINT_MLFLOW_DATABASE_URL; default: `<flint database>_mlflow`
   * in the same PostgreSQL).
   */
  models: { isEnabled: boolean; databaseUrl: string | undefined };
  /**
   * Deployments (docs/models.md): requests per key per minute (FLINT_DEPLOYMENT_KEY_RATE, 0: no
   * limit) and each scoring process's memory limit in bytes (FLINT_DEPLOYMENT_MEMORY_MB, 0: none).
   */
  deployments: { keyRatePerMinute: number; memoryBytes: number };
  /** This server among several on one database (docs/deployment.md, "Several web servers"). */
  cluster: {
    /** FLINT_SERVER_NAME, default `hostname:port`: a start with the same name replaces the previous process. */
    serverName: string;
    /** FLINT_INTERNAL_URL: where the other servers reach this one (forwarded sockets and runs). */
    internalUrl: string;
    /** FLINT_CLUSTER_SECRET: proves a forwarded request comes from another Flint server; null: no forwarding. */
    secret: string | null;
    /** FLINT_LEASE_SECONDS in ms: how long a notebook's owner may miss heartbeats before another server takes it. */
    leaseMs: number;
  };
  kernels: {
    /** The Python environment with jupyter_server, ipykernel, pyspark and `flint`. */
    pythonEnv: string;
    /** An external Jupyter Server / Enterprise Gateway, with its token (never sent to browsers). */
    jupyterUrl?: string;
    jupyterToken?: string;
    warmPoolSize: number;
    idleTimeoutMs: number;
    maxOutputBytes: number;
    /** Kernel sandboxes: `auto` (bubblewrap when it works), `bwrap` (required) or `off`. */
    sandbox: "auto" | "bwrap" | "off";
    /** The sandboxes' network; unset: isolated, or the host's for a Spark cluster. */
    sandboxNetwork?: "isolated" | "host";
    /** Memory of one kernel with all it starts, in bytes (0: no limit). */
    memoryBytes: number;
    /** A project's shared Spark: idle stop (0: never) and driver memory. */
    sparkIdleMs: number;
    sparkServerMemoryMb: number;
    /** Kernels one person may have running at once (0: no limit). */
    maxPerUser: number;
    /**
     * The URL kernels use to call Flint (FLINT_KERNEL_API_URL, else see {@link defaultKernelApiUrl}).
     */
    apiUrl: string;
    /**
     * With a bucket: the credentials kernels and their Spark get (FLINT_S3_KERNEL_ACCESS_KEY_ID /
     * FLINT_S3_KERNEL_SECRET_ACCESS_KEY, e.g. limited to the bucket's prefix), else the server's.
     */
    storageCredentials?: TS3Credentials;
  };
}

/** Reads a secret file from the data directory, creating it (mode 0600) on first use. */
export function readOrCreateSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, "secrets", name);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

/** FLINT_CATALOG_KEY when set (checked now, so a wrong key stops the start), else the data folder's. */
function catalogKey(fromEnv: string | undefined, dataDir: string): string {
  if (!fromEnv) return readOrCreateSecret(dataDir, "catalog-key");
  try {
    parseSecretKey(fromEnv);
  } catch {
    throw new Error(
      "Invalid environment: FLINT_CATALOG_KEY must be 32 random bytes in base64url (for example `openssl rand 32 | basenc --base64url`).",
    );
  }
  return fromEnv;
}

function parseAllowList(text: string): TConnectionPolicy {
  try {
    return parseConnectionAllowList(text);
  } catch (error) {
    throw new Error(`Invalid environment: ${(error as Error).message}`);
  }
}

/**
 * The folder of project files. With FLINT_STORAGE_URL=file://..., that folder (FLINT_PROJECTS_DIR may
 * only repeat it: two folders would split a project's files); with a bucket, FLINT_PROJECTS_DIR or
 * `<dataDir>/storage`; with neither set, FLINT_PROJECTS_DIR stands for FLINT_STORAGE_URL=file://
 * (storageOf), so uploads and project files stay in one folder as before.
 */
function projectsRootOf(storage: TStorageConfig, value: z.infer<typeof ZEnv>, dataDir: string): string {
  const chosen = value.FLINT_PROJECTS_DIR ? path.resolve(value.FLINT_PROJECTS_DIR) : undefined;
  if (storage.kind === "file") {
    if (chosen && chosen !== path.resolve(storage.root))
      throw new Error(
        `Invalid environment: FLINT_PROJECTS_DIR (${chosen}) differs from FLINT_STORAGE_URL's folder (${storage.root}); with file storage, project files live in the storage folder: unset FLINT_PROJECTS_DIR.`,
      );
    return storage.root;
  }
  return chosen ?? path.join(dataDir, "storage");
}

/** FLINT_STORAGE_URL and its S3 settings; errors name the variable. */
function storageOf(
  value: z.infer<typeof ZEnv>,
  dataDir: string,
): {
  storage: TStorageConfig;
  kernelCredentials?: TS3Credentials;
} {
  let storage: TStorageConfig;
  try {
    // FLINT_PROJECTS_DIR alone: file storage in that folder (projectsRootOf).
    const url =
      value.FLINT_STORAGE_URL ??
      (value.FLINT_PROJECTS_DIR ? pathToFileURL(path.resolve(value.FLINT_PROJECTS_DIR)).href : undefined);
    storage = parseStorageConfig({ ...value, FLINT_STORAGE_URL: url }, dataDir);
  } catch (error) {
    throw new Error(`Invalid environment: ${(error as Error).message}`);
  }
  const id = value.FLINT_S3_KERNEL_ACCESS_KEY_ID?.trim();
  const secret = value.FLINT_S3_KERNEL_SECRET_ACCESS_KEY?.trim();
  if (Boolean(id) !== Boolean(secret)) {
    throw new Error(
      "Invalid environment: FLINT_S3_KERNEL_ACCESS_KEY_ID and FLINT_S3_KERNEL_SECRET_ACCESS_KEY: set both or neither.",
    );
  }
  if (id && storage.kind !== "s3") {
    throw new Error("Invalid environment: FLINT_S3_KERNEL_ACCESS_KEY_ID needs FLINT_STORAGE_URL=s3://...");
  }
  return {
    storage,
    kernelCredentials:
      id && secret
        ? { accessKeyId: id, secretAccessKey: secret }
        : storage.kind === "s3"
          ? storage.credentials
          : undefined,
  };
}

/**
 * The URL kernels use to call Flint when FLINT_KERNEL_API_URL does not say. A local Jupyter runs
 * beside Flint, so loopback reaches it even when Flint listens on every interface; an external
 * Jupyter's kernels use the public URL.
 */
function defaultKernelApiUrl(host: string, port: number, publicUrl: string, jupyterUrl?: string): string {
  if (jupyterUrl) return publicUrl.replace(/\/+$/, "");
  const isWildcard = host === "0.0.0.0" || host === "::" || host === "";
  const address = isWildcard ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `http://${address}:${port}`;
}

/**
 * Builds the configuration from `env` (default `process.env`): the only place a Flint server
 * process reads its environment. Throws a readable error on bad values.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): TConfig {
  const parsed = ZEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid environment: ${lines.join("; ")}`);
  }
  const value = parsed.data;
  // Every server must sign sessions and decrypt connection passwords with the same keys: ones
  // each server made in its own data folder would differ (docs/deployment.md).
  if (value.FLINT_CLUSTER_SECRET && (!value.BETTER_AUTH_SECRET || !value.FLINT_CATALOG_KEY))
    throw new Error(
      "Invalid environment: with FLINT_CLUSTER_SECRET (several web servers), set BETTER_AUTH_SECRET and FLINT_CATALOG_KEY too, the same on every server.",
    );
  const trustedProxies = parseTrustedProxies(value.FLINT_TRUSTED_PROXIES);
  const dataDir = path.resolve(value.FLINT_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const publicUrl = (value.FLINT_PUBLIC_URL ?? `http://${value.HOST}:${value.PORT}`).replace(/\/$/, "");
  const { storage, kernelCredentials } = storageOf(value, dataDir);
  const trustedOrigins = [
    ...new Set([publicUrl, `http://127.0.0.1:${value.PORT}`, `http://localhost:${value.PORT}`]),
  ];
  return {
    dataDir,
    port: value.PORT,
    host: value.HOST,
    publicUrl,
    trustedOrigins,
    maxBodyBytes: value.FLINT_MAX_BODY_BYTES,
    isAuthRateLimited: value.FLINT_AUTH_RATE_LIMIT === "on",
    trustedProxies,
    isDemoAllowed: value.FLINT_DEMO === "auto",
    signUpMode: value.FLINT_SIGNUP,
    authSecret: value.BETTER_AUTH_SECRET ?? readOrCreateSecret(dataDir, "auth-secret"),
    databaseUrl: value.DATABASE_URL,
    isDev: value.NODE_ENV === "development",
    demo: { password: value.FLINT_DEMO_PASSWORD || undefined, token: value.FLINT_DEMO_TOKEN || undefined },
    catalog: {
      maxUploadBytes: value.FLINT_CATALOG_MAX_UPLOAD_BYTES,
      profileMaxRows: value.FLINT_CATALOG_PROFILE_MAX_ROWS,
      secretKey: catalogKey(value.FLINT_CATALOG_KEY, dataDir),
    },
    connectionPolicy: parseAllowList(value.FLINT_CONNECTION_ALLOW),
    storage,
    storageRoot: projectsRootOf(storage, value, dataDir),
    models: { isEnabled: value.FLINT_MODELS === "on", databaseUrl: value.FLINT_MLFLOW_DATABASE_URL },
    deployments: {
      keyRatePerMinute: value.FLINT_DEPLOYMENT_KEY_RATE,
      memoryBytes: value.FLINT_DEPLOYMENT_MEMORY_MB * 1024 * 1024,
    },
    cluster: {
      serverName: value.FLINT_SERVER_NAME ?? `${os.hostname()}:${value.PORT}`,
      internalUrl: (
        value.FLINT_INTERNAL_URL ?? defaultKernelApiUrl(value.HOST, value.PORT, publicUrl)
      ).replace(/\/+$/, ""),
      secret: value.FLINT_CLUSTER_SECRET ?? null,
      leaseMs: value.FLINT_LEASE_SECONDS * 1000,
    },
    kernels: {
      pythonEnv: path.resolve(value.FLINT_PYTHON_ENV ?? path.join(dataDir, "python")),
      jupyterUrl: value.JUPYTER_URL,
      jupyterToken: value.JUPYTER_TOKEN,
      warmPoolSize: value.FLINT_WARM_KERNELS,
      idleTimeoutMs: value.FLINT_KERNEL_IDLE_MINUTES * 60_000,
      maxOutputBytes: value.FLINT_MAX_OUTPUT_BYTES,
      sandbox: value.FLINT_SANDBOX,
      sandboxNetwork: value.FLINT_SANDBOX_NETWORK,
      memoryBytes: value.FLINT_KERNEL_MEMORY_MB * 1024 * 1024,
      sparkIdleMs: value.FLINT_SPARK_IDLE_MINUTES * 60_000,
      sparkServerMemoryMb: value.FLINT_SPARK_SERVER_MEMORY_MB,
      maxPerUser: value.FLINT_KERNELS_PER_USER,
      apiUrl: value.FLINT_KERNEL_API_URL
        ? value.FLINT_KERNEL_API_URL.replace(/\/+$/, "")
        : defaultKernelApiUrl(value.HOST, value.PORT, publicUrl, value.JUPYTER_URL),
      storageCredentials: kernelCredentials,
    },
  };
}
