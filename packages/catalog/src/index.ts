/**
 * `@flint/catalog`: Flint's data catalog. Assets (files in project storage, PostgreSQL tables
 * through saved connections, Spark tables), registration and streaming uploads, Spark
 * profiling jobs, PostgreSQL full-text + trigram search with staged ranking, usage, lineage,
 * popularity, notebook tokens and insert-to-code snippets.
 *
 * ```ts
 * const catalog = createCatalog({ prisma, dataDir, pythonEnv, secretKey: parseSecretKey(key) });
 * const results = await searchAssets(prisma, { userId }, "custmer col:email");
 * await catalog.stop();
 * ```
 */

export {
  createAsset,
  deleteAsset,
  insertAssets,
  listProjectAssets,
  loadSummaries,
  replaceColumns,
  searchTextOf,
  type TNewAsset,
  type TNewColumn,
  updateAssetDocumentation,
} from "./assets.js";
export {
  Catalog,
  createCatalog,
  DEFAULT_MAX_UPLOAD_BYTES,
  nameFromFileName,
  type TCatalogOptions,
} from "./catalog.js";
export {
  checkConnectionHost,
  DEFAULT_CONNECTION_POLICY,
  isBlockedAddress,
  parseConnectionAllowList,
  type TConnectionAllowEntry,
  type TConnectionPolicy,
  type TConnectionTarget,
  type TLookup,
} from "./connection-guard.js";
export {
  createConnection,
  deleteConnection,
  getConnection,
  jdbcUrl,
  listConnections,
  listSourceTables,
  loadConnectionSecret,
  resolveConnectionAddress,
} from "./connections.js";
export { assetNotFound, CatalogError, type TCatalogErrorCode } from "./errors.js";
export {
  issueNotebookToken,
  listForkSources,
  NOTEBOOK_TOKEN_PREFIX,
  NOTEBOOK_TOKEN_TTL_MS,
  NotebookTokenIssuer,
  notebookReadScope,
  revokeNotebookTokens,
  type TForkSource,
  type TNotebookCaller,
  verifyNotebookToken,
} from "./notebook-tokens.js";
export {
  failProfileRunsOf,
  getLatestProfileRun,
  POSTGRES_JDBC_PACKAGE,
  ProfileQueue,
  type TProfileQueueOptions,
} from "./profiler.js";
export { parseSearchQuery, type TParsedQuery, type TSearchFilters } from "./query.js";
export { buildSampleCsv, SAMPLE_ASSET_NAME, seedCatalogSample } from "./sample.js";
export * from "./schemas.js";
export { autocompleteAssets, CANDIDATE_CAP, searchAssets, type TSuggestion } from "./search.js";
export { decryptSecret, encryptSecret, parseSecretKey } from "./secrets.js";
export { buildSnippets } from "./snippets.js";
export type { TViewer } from "./sql.js";
export { defaultStorageRoot, folderOwner, projectStorageDir, removeInterruptedUploads } from "./storage.js";
export { nameTokens, splitIdentifier } from "./tokenize.js";
export { getLineage, PopularityRefresher, recordUsage, refreshPopularity, type TUsageKind } from "./usage.js";
