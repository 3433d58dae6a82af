/**
 * The environment a kernel gets before it runs a user's cell: where Flint's API is and a
 * notebook token of that user (see `@flint/catalog` notebook tokens). `flint.catalog` in the
 * kernel reads these, so a notebook reaches the catalog with exactly the rights of the person
 * who ran the cell, limited to the notebook's project (a fork also reads its sources' projects).
 */
import { NotebookTokenIssuer } from "@flint/catalog";
import type { PrismaClient } from "@flint/db";
import type { TRunContext, TRunEnvironment } from "@flint/kernel";
import type { TConfig } from "../config.js";

const NAME_TTL_MS = 60_000;
// A bound on the names remembered: past it the memory starts again empty.
const MAX_NAMES = 10_000;

/**
 * Creates the broker's `prepareRun`: for (user, notebook) it returns the kernel environment,
 * reusing a live token (so a run of many cells does not write a token each). Returns null for
 * a notebook that no longer exists (the run then fails on its own terms).
 */
export function createRunPreparer(
  prisma: PrismaClient,
  config: TConfig,
): ((context: TRunContext & { notebookId: string }) => Promise<TRunEnvironment | null>) & {
  /** Revokes the tokens a notebook's kernel held (call when that kernel stops). */
  revokeNotebook: (notebookId: string) => Promise<number>;
  /**
   * The environment of a job run's kernel: a token of its own for `jobRunId`, alive `ttlMs`,
   * apart from the notebook's interactive kernel's (which a person may restart meanwhile).
   */
  forJobRun: (
    context: TRunContext & { notebookId: string; jobRunId: string; ttlMs: number },
  ) => Promise<TRunEnvironment | null>;
  /** Revokes the token of a job run's kernel (call when the run's attempt ends). */
  revokeJobRun: (jobRunId: string) => Promise<number>;
} {
  const issuer = new NotebookTokenIssuer(prisma);
  const apiUrl = config.kernels.apiUrl;
  // A notebook never changes project (a fork is a new notebook), so its project can be cached.
  const projectOf = new Map<string, string>();
  const isModelsEnabled = config.models.isEnabled;
  const findProject = async (notebookId: string): Promise<string | null> => {
    let projectId = projectOf.get(notebookId);
    if (!projectId) {
      const notebook = await prisma.notebook.findUnique({
        where: { id: notebookId },
        select: { projectId: true },
      });
      if (!notebook) return null;
      projectId = notebook.projectId;
      projectOf.set(notebookId, projectId);
    }
    return projectId;
  };
  // The notebook's name, read at most once a minute: this runs before every cell, and the read
  // was a database round trip on every run (issue 23). A rename reaches the kernel's default
  // experiment name within the minute (an experiment already created keeps its name anyway).
  const names = new Map<string, { name: string | null; at: number }>();
  const nameOf = async (notebookId: string): Promise<string | null> => {
    const known = names.get(notebookId);
    if (known && Date.now() - known.at < NAME_TTL_MS) return known.name;
    const notebook = await prisma.notebook.findUnique({
      where: { id: notebookId },
      select: { name: true },
    });
    if (names.size >= MAX_NAMES) names.clear();
    names.set(notebookId, { name: notebook?.name ?? null, at: Date.now() });
    return notebook?.name ?? null;
  };
  const environment = async (
    notebookId: string,
    projectId: string,
    secret: string,
  ): Promise<TRunEnvironment> => {
    const env: TRunEnvironment = {
      FLINT_API_URL: apiUrl,
      FLINT_API_TOKEN: secret,
      FLINT_NOTEBOOK_ID: notebookId,
      FLINT_PROJECT_ID: projectId,
    };
    if (isModelsEnabled) {
      // `import mlflow` works with no set-up (docs/models.md): the project's tracking API through
      // Flint, the same notebook token, and an experiment named after the notebook by default.
      env.MLFLOW_TRACKING_URI = `${apiUrl}/api/v1/projects/${projectId}/mlflow`;
      env.MLFLOW_TRACKING_TOKEN = secret;
      env.MLFLOW_EXPERIMENT_NAME = (await nameOf(notebookId)) ?? notebookId;
    }
    return env;
  };
  const prepare = async ({
    userId,
    notebookId,
  }: TRunContext & { notebookId: string }): Promise<TRunEnvironment | null> => {
    const projectId = await findProject(notebookId);
    if (!projectId) return null;
    const token = await issuer.tokenFor(userId, projectId, notebookId);
    return environment(notebookId, projectId, token.secret);
  };
  return Object.assign(prepare, {
    revokeNotebook: (notebookId: string) => issuer.revokeNotebook(notebookId),
    forJobRun: async ({
      userId,
      notebookId,
      jobRunId,
      ttlMs,
    }: TRunContext & { notebookId: string; jobRunId: string; ttlMs: number }) => {
      const projectId = await findProject(notebookId);
      if (!projectId) return null;
      const token = await issuer.tokenForJobRun({ userId, projectId, notebookId, jobRunId, ttlMs });
      return environment(notebookId, projectId, token.secret);
    },
    revokeJobRun: (jobRunId: string) => issuer.revokeJobRun(jobRunId),
  });
}
