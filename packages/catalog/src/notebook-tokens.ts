/**
 * Notebook tokens: how a kernel calls Flint's API as a user. The execution broker issues one
 * for (user who runs the cell, notebook) and hands it to the kernel in a silent execute before
 * the cell; `flint.catalog` sends it as a bearer token. It is short-lived and limited to the
 * notebook's project, so code in a notebook can reach nothing outside that project, and a
 * leaked token expires within hours. Only the SHA-256 of the secret is stored.
 *
 * One widening, for reads only: a fork reads the catalog of the projects its notebook was
 * forked from (`notebookReadScope`), so the copied `flint.catalog.load(...)` calls keep working
 * for a user who may read those projects. Writes stay in the notebook's own project.
 */
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "@flint/db";

/** Prefix of notebook token secrets (personal access tokens start `flint_pat_`). */
export const NOTEBOOK_TOKEN_PREFIX = "flint_nbk_";
/** Default lifetime of a notebook token. */
export const NOTEBOOK_TOKEN_TTL_MS = 12 * 60 * 60_000;

function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** A caller identified by a notebook token. */
export interface TNotebookCaller {
  userId: string;
  email: string;
  name: string;
  /** The notebook's project: the only one the token writes to. */
  projectId: string;
  notebookId: string | null;
  /** The notebooks this one was forked from, nearest first (see {@link listForkSources}). */
  forkSources: TForkSource[];
  /** The projects whose catalog the token reads: {@link notebookReadScope}. */
  readProjectIds: string[];
}

/** A notebook that another was forked from (directly, or a fork of a fork). */
export interface TForkSource {
  notebookId: string;
  projectId: string;
  /** Published to the community: its project's name is public. */
  isPublished: boolean;
}

/** Forks of forks are followed this far; deeper ancestors are not read. */
const MAX_FORK_DEPTH = 16;

/**
 * The notebooks `notebookId` was forked from, nearest first. A deleted source ends the chain
 * (its forks keep their copy, not the link).
 */
export async function listForkSources(prisma: PrismaClient, notebookId: string): Promise<TForkSource[]> {
  const sources: TForkSource[] = [];
  const seen = new Set([notebookId]);
  let next = (await prisma.notebook.findUnique({ where: { id: notebookId }, select: { forkedFromId: true } }))
    ?.forkedFromId;
  while (next && !seen.has(next) && sources.length < MAX_FORK_DEPTH) {
    seen.add(next);
    const row = await prisma.notebook.findUnique({
      where: { id: next },
      select: { id: true, projectId: true, publishedAt: true, forkedFromId: true },
    });
    if (!row) break;
    sources.push({ notebookId: row.id, projectId: row.projectId, isPublished: row.publishedAt !== null });
    next = row.forkedFromId;
  }
  return sources;
}

/**
 * The projects a notebook token reads the catalog of: the notebook's own project, then the
 * projects of the notebooks it was forked from, nearest first (the order breaks ties between
 * assets of the same name). Only reads: a notebook's code writes to its own project alone.
 */
export function notebookReadScope(projectId: string, forkSources: readonly TForkSource[]): string[] {
  return [...new Set([projectId, ...forkSources.map((source) => source.projectId)])];
}

/** Issues a notebook token. The secret is returned once and never stored. */
export async function issueNotebookToken(
  prisma: PrismaClient,
  grant: {
    userId: string;
    projectId: string;
    notebookId?: string | null;
    ttlMs?: number;
    /** The job run whose kernel holds it (see {@link NotebookTokenIssuer.tokenForJobRun}). */
    jobRunId?: string;
  },
): Promise<{ secret: string; expiresAt: Date }> {
  const secret = NOTEBOOK_TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + (grant.ttlMs ?? NOTEBOOK_TOKEN_TTL_MS));
  await prisma.catalogNotebookToken.create({
    data: {
      tokenHash: hashSecret(secret),
      userId: grant.userId,
      projectId: grant.projectId,
      notebookId: grant.notebookId ?? null,
      jobRunId: grant.jobRunId ?? null,
      expiresAt,
    },
  });
  return { secret, expiresAt };
}

/**
 * Resolves a bearer secret to its caller; null for anything that is not a live notebook token
 * of an enabled user. Membership is not checked here: every route's authorization does that.
 */
export async function verifyNotebookToken(
  prisma: PrismaClient,
  secret: string,
): Promise<TNotebookCaller | null> {
  if (!secret.startsWith(NOTEBOOK_TOKEN_PREFIX)) return null;
  const row = await prisma.catalogNotebookToken.findUnique({
    where: { tokenHash: hashSecret(secret) },
    select: { userId: true, projectId: true, notebookId: true, expiresAt: true },
  });
  if (!row || row.expiresAt.getTime() <= Date.now()) return null;
  const user = await prisma.user.findUnique({
    where: { id: row.userId },
    select: { email: true, name: true, disabledAt: true },
  });
  if (!user || user.disabledAt) return null;
  const forkSources = row.notebookId ? await listForkSources(prisma, row.notebookId) : [];
  return {
    userId: row.userId,
    email: user.email,
    name: user.name,
    projectId: row.projectId,
    notebookId: row.notebookId,
    forkSources,
    readProjectIds: notebookReadScope(row.projectId, forkSources),
  };
}

/** Revokes every notebook token of a user in a project (e.g. when they leave it). */
export async function revokeNotebookTokens(
  prisma: PrismaClient,
  userId: string,
  projectId: string,
): Promise<number> {
  const result = await prisma.catalogNotebookToken.deleteMany({ where: { userId, projectId } });
  return result.count;
}

/**
 * Issues notebook tokens for the broker and reuses a live one per (user, notebook) while it has
 * more than an hour left, so running many cells does not write a token per cell. Expired rows
 * are cleaned up as new ones are issued.
 *
 * A notebook's interactive kernel and its job runs' kernels are different processes: a job run
 * gets a token of its own ({@link tokenForJobRun}), which neither the interactive kernel's
 * rotation nor its stop revokes, and which dies when the run ends ({@link revokeJobRun}).
 */
export class NotebookTokenIssuer {
  private readonly cache = new Map<string, { secret: string; expiresAt: Date }>();
  /** Who a notebook's kernel last holds a token of: another user's run rotates it. */
  private readonly holder = new Map<string, string>();
  private lastCleanup = 0;

  constructor(private readonly prisma: PrismaClient) {}

  /** A token for `userId` running cells of `notebookId` in `projectId`. */
  async tokenFor(
    userId: string,
    projectId: string,
    notebookId: string,
  ): Promise<{ secret: string; expiresAt: Date }> {
    const key = `${userId}:${notebookId}`;
    const previous = this.holder.get(notebookId);
    if (previous && previous !== userId) {
      // The kernel's environment held the previous user's token, and the new user's code runs
      // in that same process: the old token must die before their cell does.
      this.cache.delete(`${previous}:${notebookId}`);
      await this.prisma.catalogNotebookToken.deleteMany({
        where: { userId: previous, notebookId, jobRunId: null },
      });
    }
    this.holder.set(notebookId, userId);
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt.getTime() - Date.now() > 60 * 60_000) return cached;
    const issued = await issueNotebookToken(this.prisma, { userId, projectId, notebookId });
    this.cache.set(key, issued);
    if (Date.now() - this.lastCleanup > 60 * 60_000) {
      this.lastCleanup = Date.now();
      await this.prisma.catalogNotebookToken.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    }
    return issued;
  }

  /** Revokes every token given to the kernel of `notebookId` (it stopped, died or restarted). */
  async revokeNotebook(notebookId: string): Promise<number> {
    this.holder.delete(notebookId);
    for (const key of [...this.cache.keys()]) if (key.endsWith(`:${notebookId}`)) this.cache.delete(key);
    const result = await this.prisma.catalogNotebookToken.deleteMany({
      where: { notebookId, jobRunId: null },
    });
    return result.count;
  }

  /**
   * A token for the kernel of job run `jobRunId` (a run of `notebookId` as `userId`): never cached
   * or shared with the notebook's interactive kernel, alive for `ttlMs` (the run's timeout and a
   * margin) unless {@link revokeJobRun} ends it first.
   */
  async tokenForJobRun(grant: {
    userId: string;
    projectId: string;
    notebookId: string;
    jobRunId: string;
    ttlMs: number;
  }): Promise<{ secret: string; expiresAt: Date }> {
    return issueNotebookToken(this.prisma, grant);
  }

  /** Revokes the tokens of job run `jobRunId`'s kernel (the run ended). */
  async revokeJobRun(jobRunId: string): Promise<number> {
    const result = await this.prisma.catalogNotebookToken.deleteMany({ where: { jobRunId } });
    return result.count;
  }
}
