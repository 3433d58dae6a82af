/** What the route files need from the running server. */
import type { Catalog } from "@flint/catalog";
import type { CollabHub } from "@flint/collab";
import type { PrismaClient } from "@flint/db";
import type { TJobService } from "@flint/jobs";
import type { ExecutionBroker, TSparkConnectAddress } from "@flint/kernel";
import type { TConfig } from "../config.js";
import type { THealth } from "../contract/health.js";
import type { TBatchScoreService } from "../services/batch-scores.js";
import type { TDeploymentKeyGate } from "../services/deployment-keys.js";
import type { TScoringServices } from "../services/deployments.js";
import type { TMlflowBackend } from "../services/mlflow-proxy.js";
import type { TBucketStorage } from "../services/storage.js";

/** What the run and trash routes need of the broker. */
export type TRunBroker = Pick<ExecutionBroker, "runAndWait" | "handleCommand" | "kernelIdOf">;

/** What the shared-Spark route needs of the kernel runtime's Spark Connect manager. */
export type TSparkConnectServers = { ensure: (projectId: string) => Promise<TSparkConnectAddress> };

/** Dependencies of the route files. */
export interface TRouteDeps {
  prisma: PrismaClient;
  /** The predict route's key cache, cleared by the revoke and delete routes (none: nothing cached). */
  deploymentKeys?: TDeploymentKeyGate;
  config: TConfig;
  isEmbeddedDb: boolean;
  /** Jupyter and Spark status; "not started" until a kernel supervisor is attached. */
  runtimeStatus: () => Promise<Pick<THealth, "jupyter" | "spark" | "sandbox">>;
  /** Builds the OpenAPI document (injected to avoid a cycle with openapi.ts). */
  openApiDocument: () => unknown;
  /** The execution broker, once the kernel runtime is attached (null: runs answer 503). */
  getBroker: () => TRunBroker | null;
  /** The projects' shared Spark servers, once the kernel runtime is attached (null: 503). */
  getSparkConnect: () => TSparkConnectServers | null;
  /** The job service of this process (null: runs wait for a server that has one). */
  getJobs: () => TJobService | null;
  /** The MLflow tracking server, once attached (null: the models routes answer 503). */
  getMlflow: () => TMlflowBackend | null;
  /** Deployments' scoring processes, once the kernel runtime is attached (null: 503). */
  getScoring: () => TScoringServices | null;
  /** The data catalog service of this process. */
  catalog: Catalog;
  /** Batch scoring runs of this process (docs/models.md). */
  batchScores: TBatchScoreService;
  /** The bucket of FLINT_STORAGE_URL=s3://...; null: files are in the data folder. */
  bucket: TBucketStorage | null;
  /** The co-editing rooms (null without the notebook socket, e.g. in API-only tests). */
  collab: CollabHub | null;
  /** Checks that every live server shares this one's projects folder; null: not checked. */
  checkProjectsFolder: (() => Promise<NonNullable<THealth["projectsFolder"]>>) | null;
}
