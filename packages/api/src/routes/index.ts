/**
 * The route table of `/api`: one file per resource, each implementing its group of the contract
 * (`../contract/`). Handlers stay thin: the router has validated the input and enforced the access
 * rule; a handler calls one service function.
 */
import type { TContract } from "../contract/index.js";
import type { TAnyRoute, TRoutesOf } from "../router.js";
import { createDeploymentService } from "../services/deployments.js";
import { createAccountRoutes } from "./account.js";
import { createAdminRoutes } from "./admin.js";
import { createBatchScoreRoutes } from "./batch-scores.js";
import { createCatalogRoutes } from "./catalog.js";
import { createChartRoutes } from "./charts.js";
import { createCheckpointRoutes } from "./checkpoints.js";
import { createCommentRoutes } from "./comments.js";
import { createCommunityRoutes } from "./community.js";
import { createDeploymentRoutes } from "./deployments.js";
import type { TRouteDeps } from "./deps.js";
import { createFileRoutes } from "./files.js";
import { createHealthRoutes } from "./health.js";
import { createJobRoutes } from "./jobs.js";
import { createMemberRoutes } from "./members.js";
import { createModelRoutes } from "./models.js";
import { createNotebookRoutes } from "./notebooks.js";
import { createOutputRoutes } from "./outputs.js";
import { createProjectRoutes } from "./projects.js";
import { createRunRoutes } from "./run.js";
import { createSparkConnectRoutes } from "./spark-connect.js";

export type { TRouteDeps, TRunBroker, TSparkConnectServers } from "./deps.js";

/** Every route of the API; the type makes a contract entry without an implementation an error. */
export function createRoutes(deps: TRouteDeps): TAnyRoute[] {
  const deployments = createDeploymentService({
    prisma: deps.prisma,
    dataDir: deps.config.dataDir,
    getMlflow: deps.getMlflow,
    getScoring: deps.getScoring,
  });
  const routes: TRoutesOf<TContract> = {
    ...createHealthRoutes(deps),
    ...createAccountRoutes(deps),
    ...createAdminRoutes(deps),
    ...createProjectRoutes(deps),
    ...createMemberRoutes(deps),
    ...createNotebookRoutes(deps),
    ...createCheckpointRoutes(deps),
    ...createRunRoutes(deps),
    ...createSparkConnectRoutes(deps),
    ...createOutputRoutes(deps),
    ...createChartRoutes(deps),
    ...createCommentRoutes(deps),
    ...createCommunityRoutes(deps),
    ...createCatalogRoutes(deps),
    ...createFileRoutes(deps),
    ...createJobRoutes(deps),
    ...createModelRoutes(deps, deployments),
    ...createDeploymentRoutes(deps, deployments),
    ...createBatchScoreRoutes(deps),
  };
  return Object.values(routes) as TAnyRoute[];
}
