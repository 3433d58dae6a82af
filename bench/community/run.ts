// Activity feed and community list at scale (issue 7): 100k activity rows and 10k published
// items on the embedded PostgreSQL, then p50/p95 of the API's own queries. Baseline: the same
// rows counted by a plain SQL `count(*)` scan in the same run, to show what a full scan costs.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { listActivity } from "@flint/api/services/activity";
import { listCommunity } from "@flint/api/services/community";
import { createPrismaClient } from "@flint/db";
import { startEmbeddedPostgres } from "@flint/db/embedded";
import { applyMigrations } from "@flint/db/migrate";
import { quantile, report, time } from "../stats";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ACTIVITY_ROWS = 100_000;
const PUBLISHED = 10_000;
const RUNS = 200;

const pg = await startEmbeddedPostgres({
  dir: mkdtempSync(path.join(os.tmpdir(), "flint-bench-community-")),
});
try {
  await applyMigrations(pg.url, path.join(root, "prisma/migrations"));
  const prisma = createPrismaClient(pg.url);
  // Deterministic data: 50 users, 200 projects, activity spread over them, published notebooks
  // and charts with Zipf-ish words in their names.
  const words = [
    "sales",
    "revenue",
    "churn",
    "forecast",
    "clicks",
    "orders",
    "inventory",
    "growth",
    "cohort",
    "funnel",
    "latency",
    "spark",
  ];
  await prisma.$executeRawUnsafe(`insert into "user" (id, name, email, "updatedAt")
    select 'u' || i, 'User ' || i, 'user' || i || '@bench.test', now() from generate_series(1, 50) i`);
  await prisma.$executeRawUnsafe(`insert into project (id, name, "updatedAt", "createdById")
    select 'p' || i, 'Project ' || i, now(), 'u' || (1 + i % 50) from generate_series(1, 200) i`);
  await prisma.$executeRawUnsafe(`insert into project_member ("projectId", "userId", role)
    select 'p' || i, 'u' || (1 + i % 50), 'admin' from generate_series(1, 200) i`);
  const started = performance.now();
  await prisma.$executeRawUnsafe(`insert into activity (id, "projectId", "actorId", kind, "subjectType", "subjectId", details, "createdAt")
    select 'a' || i, 'p' || (1 + (i * 7919) % 200), 'u' || (1 + i % 50), 'notebook.edited', 'notebook', 'n' || i,
           jsonb_build_object('name', 'Notebook ' || i), now() - (i || ' seconds')::interval
      from generate_series(1, ${ACTIVITY_ROWS}) i`);
  const words_sql = `array[${words.map((word) => `'${word}'`).join(",")}]`;
  // Published notebooks carry the snapshot the community reads (an empty notebook here).
  await prisma.$executeRawUnsafe(`insert into notebook (id, "projectId", name, cells, metadata, "createdById", "updatedAt",
                                                        "publishedAt", "publishedName", "publishedVersion", "publishedSnapshot")
    select id, project, name, '[]'::jsonb, '{}'::jsonb, creator, now(), at, name, 1,
           '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}'::jsonb
      from (select 'n' || i as id, 'p' || (1 + i % 200) as project, 'u' || (1 + i % 50) as creator,
                   (${words_sql})[1 + floor(power(random(), 2) * 12)::int % 12] || ' analysis ' || i as name,
                   now() - (i || ' minutes')::interval as at
              from generate_series(1, ${PUBLISHED / 2}) i) generated`);
  await prisma.$executeRawUnsafe(`insert into chart (id, "projectId", title, spec, "createdById", "updatedAt", "publishedAt")
    select 'c' || i, 'p' || (1 + i % 200), (${words_sql})[1 + i % 12] || ' chart ' || i, '{}'::jsonb, 'u' || (1 + i % 50), now(), now() - (i || ' minutes')::interval
      from generate_series(1, ${PUBLISHED / 2}) i`);
  await prisma.$executeRawUnsafe(`insert into star ("userId", "subjectType", "subjectId")
    select 'u' || (1 + i % 50), 'notebook', 'n' || (1 + (i * 31) % ${PUBLISHED / 2}) from generate_series(1, 20000) i on conflict do nothing`);
  await prisma.$executeRawUnsafe("analyze");
  process.stdout.write(
    `Loaded ${ACTIVITY_ROWS} activity rows and ${PUBLISHED} published items in ${((performance.now() - started) / 1000).toFixed(1)} s\n\n`,
  );

  const measure = async (run: () => Promise<unknown>) => {
    for (let i = 0; i < 10; i++) await run();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await time(run));
    return times;
  };
  const scan = await measure(() => prisma.$queryRawUnsafe("select count(*) from activity"));
  const feed = await measure(() =>
    listActivity(prisma, { projectId: `p${1 + Math.floor(Math.random() * 200)}` }, { limit: 30 }),
  );
  const page2 = await listActivity(prisma, { projectId: "p7" }, { limit: 30 });
  const feedNext = await measure(() =>
    listActivity(prisma, { projectId: "p7" }, { limit: 30, before: page2.nextCursor ?? undefined }),
  );
  const userFeed = await measure(() =>
    listActivity(prisma, { actorId: "u3", visibleTo: "u3" }, { limit: 30 }),
  );
  const recent = await measure(() => listCommunity(prisma, { sort: "recent", limit: 30 }));
  const stars = await measure(() => listCommunity(prisma, { sort: "stars", limit: 30 }));
  const search = await measure(() => listCommunity(prisma, { q: "churn", sort: "recent", limit: 30 }));
  const row = (name: string, times: number[], goal: string) =>
    report(name, `${quantile(times, 0.5).toFixed(1)} / ${quantile(times, 0.95).toFixed(1)} ms`, goal);
  row("baseline: count(*) over all activity rows, p50 / p95", scan, "baseline");
  row("project feed, first page, p50 / p95", feed, "p95 < 50 ms");
  row("project feed, next page, p50 / p95", feedNext, "p95 < 50 ms");
  row("user feed, p50 / p95", userFeed, "p95 < 50 ms");
  row("community, most recent, p50 / p95", recent, "p95 < 50 ms");
  row("community, most stars, p50 / p95", stars, "p95 < 50 ms");
  row("community, search 'churn', p50 / p95", search, "p95 < 50 ms");
  report(
    "ratio project feed p95 / full scan p95",
    `${(quantile(feed, 0.95) / quantile(scan, 0.95)).toFixed(2)}×`,
    "",
  );
  await prisma.$disconnect();
} finally {
  await pg.stop();
}
process.exit(0);
