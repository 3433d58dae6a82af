/**
 * The getting-started sample: a small sales CSV in a project's storage, registered in the
 * catalog with a description and tags, so a new user has something to search and load.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { PrismaClient } from "@flint/db";
import { createAsset } from "./assets.js";
import type { Catalog } from "./catalog.js";
import { projectStorageDir } from "./storage.js";
import { projectKey } from "./stored-objects.js";

/** Name of the sample asset: `flint.catalog.load("sales_2026")`. */
export const SAMPLE_ASSET_NAME = "sales_2026";

const COUNTRIES = ["FR", "DE", "US", "GB", "JP", "BR", "IN", "ES"];
const PRODUCTS = ["notebook", "laptop", "monitor", "keyboard", "mouse", "headset"];

/** Deterministic sample rows (a linear congruential generator, no randomness between runs). */
export function buildSampleCsv(rows = 500): string {
  let state = 2026;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const lines = ["order_id,order_date,customer_id,country,product,quantity,unit_price,revenue"];
  for (let index = 1; index <= rows; index += 1) {
    const day = new Date(Date.UTC(2026, 0, 1) + Math.floor(next() * 365) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const quantity = 1 + Math.floor(next() * 5);
    const price = Math.round((5 + next() * 995) * 100) / 100;
    lines.push(
      [
        index,
        day,
        `C${String(1 + Math.floor(next() * 120)).padStart(4, "0")}`,
        COUNTRIES[Math.floor(next() * COUNTRIES.length)],
        PRODUCTS[Math.floor(next() * PRODUCTS.length)],
        quantity,
        price.toFixed(2),
        (quantity * price).toFixed(2),
      ].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Writes the sample CSV into the project's storage and registers it (once: an existing sample
 * is left alone). With a catalog, its profile is queued too.
 * @returns the asset id, or null when the project already has it.
 */
export async function seedCatalogSample(
  prisma: PrismaClient,
  options: { storageRoot: string; projectId: string; ownerId: string; catalog?: Catalog },
): Promise<string | null> {
  const existing = await prisma.catalogAsset.findFirst({
    where: { projectId: options.projectId, name: SAMPLE_ASSET_NAME },
    select: { id: true },
  });
  if (existing) return null;
  const relative = `uploads/${SAMPLE_ASSET_NAME}.csv`;
  const absolute = path.join(projectStorageDir(options.storageRoot, options.projectId), relative);
  const csv = buildSampleCsv();
  const bucket = options.catalog?.objectStore;
  if (bucket) {
    const key = projectKey(options.projectId, relative);
    if (!(await bucket.stat(key))) await bucket.put(key, Readable.from([csv]));
  } else if (!existsSync(absolute)) {
    await mkdir(path.dirname(absolute), { recursive: true });
    await writeFile(absolute, csv);
  }
  const id = await createAsset(prisma, {
    projectId: options.projectId,
    name: SAMPLE_ASSET_NAME,
    qualifiedName: `files/${relative}`,
    kind: "file",
    format: "csv",
    location: relative,
    description:
      "Sample orders of 2026: one row per order with date, customer, country, product, quantity, unit price and revenue. Use it to try the catalog and Spark.",
    ownerId: options.ownerId,
    tags: ["sample", "sales"],
    sizeBytes: Buffer.byteLength(csv),
    columns: csv
      .slice(0, csv.indexOf("\n"))
      .split(",")
      .map((name) => ({ name, dataType: "unknown" })),
    profileStatus: options.catalog ? "queued" : "none",
  });
  if (options.catalog) await options.catalog.profiler.enqueue(id, options.ownerId);
  return id;
}
