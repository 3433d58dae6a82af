/**
 * Where Flint keeps files: FLINT_STORAGE_URL parsed ({@link parseStorageConfig}), one
 * {@link TObjectStore} interface over a folder or an S3-compatible bucket, and the settings Spark
 * needs to reach the same place ({@link sparkStorageSettings}).
 *
 * ```ts
 * const store = createObjectStore(parseStorageConfig(process.env, dataDir));
 * await store.put("projects/p1/uploads/sales.csv", request.body, { maxBytes });
 * ```
 */
export {
  describeStorage,
  parseStorageConfig,
  type TS3Credentials,
  type TStorageConfig,
  type TStorageEnv,
} from "./config.js";
export {
  checkKey,
  createObjectStore,
  LocalObjectStore,
  S3ObjectStore,
  StorageError,
  type TObjectStore,
  type TStorageErrorCode,
  type TStoredObject,
} from "./object-store.js";
export { s3aJarsDir, sparkStorageSettings, type TSparkStorageSettings } from "./spark.js";
