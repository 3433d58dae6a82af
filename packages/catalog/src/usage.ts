/**
 * Use of assets: usage events (notebook reads and writes, page views), lineage between
 * notebooks and assets, and popularity — a percentile of recent distinct users and uses,
 * which search applies as a bounded boost (×1.5 at most).
 */
import type { PrismaClient } from "@flint/db";
import type { z } from "zod";
import type { ZLineageEntry } from "./schemas.js";
import type { TDb } from "./sql.js";

/** Kinds of use. */
export type TUsageKind = "notebook_read" | "notebook_write" | "view";

/** The window popularity looks at. */
const WINDOW_DAYS = 30;

/**
 * Records one use of an asset and, for a notebook of the asset's project, the lineage edge.
 * Counters of the asset are updated at once; percentiles by {@link refreshPopularity}.
 */
export async function recordUsage(
  prisma: PrismaClient,
  event: { assetId: string; userId: string; kind: TUsageKind; notebookId?: string | null },
): Promise<void> {
  const asset = await prisma.catalogAsset.findUnique({
    where: { id: event.assetId },
    select: { projectId: true },
  });
  if (!asset) return;
  // Lineage only within the asset's project: another project's notebook must not show up here.
  const notebook = event.notebookId
    ? await prisma.notebook.findFirst({
        where: { id: event.notebookId, projectId: asset.projectId },
        select: { id: true },
      })
    : null;
  await prisma.$transaction(async (tx) => {
    await tx.catalogUsageEvent.create({
      data: {
        assetId: event.assetId,
        userId: event.userId,
        kind: event.kind,
        notebookId: notebook?.id ?? null,
      },
    });
    await tx.$executeRawUnsafe(
      `update catalog_asset set "usage30d" = "usage30d" + 1, "lastUsedAt" = now(),
         "uniqueUsers30d" = (select count(distinct "userId") from catalog_usage_event
                             where "assetId" = $1 and at > now() - interval '${WINDOW_DAYS} days')
       where id = $1`,
      event.assetId,
    );
    if (notebook && event.kind !== "view") {
      const direction = event.kind === "notebook_read" ? "read" : "write";
      await tx.catalogLineage.upsert({
        where: {
          assetId_notebookId_direction: { assetId: event.assetId, notebookId: notebook.id, direction },
        },
        create: { assetId: event.assetId, notebookId: notebook.id, direction, userId: event.userId },
        update: { count: { increment: 1 }, lastAt: new Date(), userId: event.userId },
      });
    }
  });
}

/**
 * Recomputes 30-day counters and popularity of every asset: the percentile rank of
 * (distinct users, uses) among used assets, from 0.1 to 1; unused assets get 0.
 * Ranking by distinct users first makes one account's repeated loads count little.
 */
export async function refreshPopularity(db: TDb): Promise<void> {
  await db.$executeRawUnsafe(
    `with recent as (
       select "assetId", count(*)::int as uses, count(distinct "userId")::int as users from catalog_usage_event
       where at > now() - interval '${WINDOW_DAYS} days' group by "assetId")
     update catalog_asset a set "usage30d" = coalesce(r.uses, 0), "uniqueUsers30d" = coalesce(r.users, 0)
     from catalog_asset b left join recent r on r."assetId" = b.id
     where a.id = b.id and (b."usage30d" > 0 or r."assetId" is not null)
       and (a."usage30d", a."uniqueUsers30d") is distinct from (coalesce(r.uses, 0), coalesce(r.users, 0))`,
  );
  await db.$executeRawUnsafe(
    `update catalog_asset a set popularity = r.pr
     from (select id, case when "usage30d" > 0
             then 0.1 + 0.9 * percent_rank() over (partition by "usage30d" > 0 order by "uniqueUsers30d", "usage30d")
             else 0 end as pr
           from catalog_asset) r
     where a.id = r.id and a.popularity is distinct from r.pr`,
  );
}

/**
 * Runs {@link refreshPopularity} at most once per interval after uses were recorded, so a
 * burst of notebook loads costs one recomputation.
 */
export class PopularityRefresher {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: TDb,
    private readonly delayMs = 60_000,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /** Asks for a refresh within the interval. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      refreshPopularity(this.db).catch((error) => this.log(`popularity refresh failed: ${String(error)}`));
    }, this.delayMs);
    // Never keep the process alive just for this.
    this.timer.unref();
  }

  /** Cancels a pending refresh. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

type TLineageEntry = z.infer<typeof ZLineageEntry>;

/** Notebooks of the asset's project that read or wrote it, most recent first. */
export async function getLineage(
  prisma: PrismaClient,
  assetId: string,
  projectId: string,
): Promise<{ readBy: TLineageEntry[]; writtenBy: TLineageEntry[] }> {
  const rows = await prisma.$queryRawUnsafe<
    {
      notebookId: string;
      notebookName: string;
      projectId: string;
      direction: string;
      count: number;
      lastAt: Date;
      userId: string;
      userName: string | null;
    }[]
  >(
    `select l."notebookId", n.name as "notebookName", n."projectId", l.direction, l.count, l."lastAt",
       l."userId", u.name as "userName"
     from catalog_lineage l join notebook n on n.id = l."notebookId" left join "user" u on u.id = l."userId"
     where l."assetId" = $1 and n."projectId" = $2 order by l."lastAt" desc limit 100`,
    assetId,
    projectId,
  );
  const toEntry = (row: (typeof rows)[number]): TLineageEntry => ({
    notebookId: row.notebookId,
    notebookName: row.notebookName,
    projectId: row.projectId,
    count: row.count,
    lastAt: row.lastAt.toISOString(),
    user: row.userName !== null ? { id: row.userId, name: row.userName } : null,
  });
  return {
    readBy: rows.filter((row) => row.direction === "read").map(toEntry),
    writtenBy: rows.filter((row) => row.direction === "write").map(toEntry),
  };
}
