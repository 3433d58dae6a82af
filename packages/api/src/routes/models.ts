/**
 * Models (docs/models.md): MLflow's REST API through Flint under one project
 * (`/api/v1/projects/{id}/mlflow/...`, what kernels' `MLFLOW_TRACKING_URI` names), and the Models
 * tab's views. The tracking server is reachable only through here.
 */
import { authorize } from "../authorize.js";
import { modelEndpoints as endpoints } from "../contract/models.js";
import { AppError, notFound } from "../errors.js";
import { implement, type TRouteContext, type TRoutesOf } from "../router.js";
import type { TDeploymentService } from "../services/deployments.js";
import { proxyMlflowRequest, type TMlflowBackend } from "../services/mlflow-proxy.js";
import {
  getRunMetricHistory,
  listAssetsReadByKernel,
  listProjectRuns,
  listRegisteredModels,
  nameTrainedOnAssets,
} from "../services/models.js";
import type { TRouteDeps } from "./deps.js";

function unavailable(): AppError {
  return new AppError(
    "unavailable",
    "Model tracking is not available on this server (FLINT_MODELS=off, or the MLflow tracking server is not running; a site administrator sees why in /api/health).",
  );
}

/**
 * A tracking server that does not answer (crashed, restarting) is a 503. Its reason (log lines,
 * paths of the data folder) is for site administrators, in `/api/health`, not for every caller.
 */
function toUnavailable(error: unknown): never {
  if (error instanceof AppError) throw error;
  throw new AppError(
    "unavailable",
    "Model tracking is unavailable right now: the MLflow tracking server is down or restarting (Flint starts it again by itself). Try again in a minute; a site administrator sees why in /api/health.",
  );
}

/** The models routes; `getMlflow` is null while no tracking server is attached. */
export function createModelRoutes(
  { prisma, getMlflow }: TRouteDeps,
  deployments: Pick<TDeploymentService, "followAlias">,
): TRoutesOf<typeof endpoints> {
  const backend = (): TMlflowBackend => {
    const server = getMlflow();
    if (!server) throw unavailable();
    return {
      request: (request) => server.request(request).catch(toUnavailable),
      requestJson: (method, path, body) => server.requestJson(method, path, body).catch(toUnavailable),
    };
  };
  const proxy = async ({
    actor,
    kernel,
    params,
    request,
  }: Pick<
    TRouteContext<(typeof endpoints)["mlflowGet"]>,
    "actor" | "kernel" | "params" | "request"
  >): Promise<Response> => {
    // Checked here, not by the rule: a notebook token reaches only its own notebook's project.
    const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "model.read");
    if (kernel && grant.projectId !== kernel.projectScope) throw notFound("Project");
    const canWrite = await authorize(prisma, actor, { kind: "project", id: params.id }, "model.write").then(
      () => true,
      () => false,
    );
    const runTags: Record<string, string> = { "flint.projectId": grant.projectId, "flint.user": actor.email };
    if (kernel?.notebookId) {
      const notebook = await prisma.notebook.findUnique({
        where: { id: kernel.notebookId },
        select: { name: true, version: true },
      });
      runTags["flint.notebookId"] = kernel.notebookId;
      if (notebook) {
        runTags["flint.notebookVersion"] = String(notebook.version);
        runTags["mlflow.source.name"] = notebook.name;
        runTags["mlflow.source.type"] = "NOTEBOOK";
      }
    }
    const notebookId = kernel?.notebookId;
    const assetsRead = notebookId ? () => listAssetsReadByKernel(prisma, notebookId) : undefined;
    // The path exactly as sent (the router's copy is decoded): what follows `/mlflow/`.
    const pathname = new URL(request.url).pathname;
    const rest = pathname.slice(pathname.indexOf("/mlflow/") + "/mlflow/".length);
    // Deployments that follow an alias swap when it moves (docs/models.md): read which one before
    // the proxy consumes the body.
    const isAliasSet =
      request.method === "POST" && /^api\/2\.0\/mlflow\/registered-models\/alias$/.test(rest);
    const aliasSet = isAliasSet
      ? await request
          .clone()
          .json()
          .catch(() => null)
      : null;
    const answer = await proxyMlflowRequest(
      backend(),
      { projectId: grant.projectId, canWrite, runTags, assetsRead },
      request,
      rest,
    );
    if (answer.status === 200 && typeof aliasSet?.name === "string" && typeof aliasSet?.alias === "string")
      deployments.followAlias(grant.projectId, aliasSet.name, aliasSet.alias);
    return answer;
  };
  return {
    mlflowGet: implement(endpoints.mlflowGet, (context) => proxy(context)),
    mlflowPost: implement(endpoints.mlflowPost, (context) => proxy(context)),
    mlflowPut: implement(endpoints.mlflowPut, (context) => proxy(context)),
    mlflowPatch: implement(endpoints.mlflowPatch, (context) => proxy(context)),
    mlflowDelete: implement(endpoints.mlflowDelete, (context) => proxy(context)),
    listModelRuns: implement(endpoints.listModelRuns, async ({ grant, query }) => {
      const listing = await listProjectRuns(backend(), grant.projectId);
      if (query.assetId) {
        const assetId = query.assetId;
        listing.experiments = listing.experiments
          .map((experiment) => ({
            ...experiment,
            runs: experiment.runs.filter((run) => run.trainedOn.some((asset) => asset.assetId === assetId)),
          }))
          .filter((experiment) => experiment.runs.length > 0);
      }
      return nameTrainedOnAssets(prisma, grant.projectId, listing);
    }),
    getRunMetricHistory: implement(endpoints.getRunMetricHistory, async ({ grant, params }) =>
      getRunMetricHistory(backend(), grant.projectId, params.runId),
    ),
    listRegisteredModels: implement(endpoints.listRegisteredModels, async ({ grant }) =>
      listRegisteredModels(backend(), grant.projectId),
    ),
  };
}
