/**
 * The object store of this process when FLINT_STORAGE_URL names a bucket, with what Spark needs
 * to reach it; null for the data folder, whose files the catalog and the kernels read by path.
 */
import {
  createObjectStore,
  sparkStorageSettings,
  type TObjectStore,
  type TSparkStorageSettings,
} from "@flint/storage";
import type { TConfig } from "../config.js";

/** A bucket and the Spark settings of it (credentials in `env`, never in `conf`). */
export type TBucketStorage = { store: TObjectStore; spark: TSparkStorageSettings };

/**
 * The bucket of `config`, or null for file storage. `credentials`: whose Spark settings, the
 * server's own (the profiler) or the kernels' (FLINT_S3_KERNEL_*).
 * @throws Error when the hadoop-aws jars are missing (setup was not run with FLINT_STORAGE_URL).
 */
export function createBucketStorage(config: TConfig, forKernels = false): TBucketStorage | null {
  if (config.storage.kind !== "s3") return null;
  return {
    store: createObjectStore(config.storage),
    spark: sparkStorageSettings(
      config.storage,
      config.kernels.pythonEnv,
      forKernels ? config.kernels.storageCredentials : config.storage.credentials,
    ),
  };
}

/**
 * The environment kernels and the projects' Spark Connect servers get for the storage: the
 * s3a settings as FLINT_STORAGE_SPARK_CONF, the credentials as AWS_* variables (S3A reads them).
 */
export function kernelStorageEnv(config: TConfig): Record<string, string> {
  const bucket = createBucketStorage(config, true);
  if (!bucket) return {};
  return { FLINT_STORAGE_SPARK_CONF: JSON.stringify(bucket.spark.conf), ...bucket.spark.env };
}
