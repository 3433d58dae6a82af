// Catalog search on the real embedded PostgreSQL: typo correction through the vocabulary
// (one-typo queries find their asset, in names and in `col:`), whole-word and exact ranking,
// autocomplete, and that neither suggestions nor results ever come from another project.
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deleteAsset,
  insertAssets,
  parseStoredColumns,
  type TNewAsset,
  updateAssetDocumentation,
} from "./assets.js";
import {
  analyzeWords,
  autocompleteAssets,
  editDistance,
  knownColumnNames,
  searchAssets,
  singleEdits,
} from "./search.js";

let prisma: PrismaClient;
let close: () => Promise<void>;
const alice = { userId: "alice" };
const carol = { userId: "carol" };

function asset(projectId: string, name: string, extra: Partial<TNewAsset> = {}): TNewAsset {
  return {
    projectId,
    name,
    qualifiedName: `files/${projectId}/${name}.parquet`,
    kind: "file",
    format: "parquet",
    location: `${name}.parquet`,
    ownerId: null,
    columns: [
      { name: "id", dataType: "bigint" },
      { name: "created_at", dataType: "timestamp" },
    ],
    ...extra,
  };
}

const names = (items: { name: string }[]) => items.map((item) => item.name);

beforeAll(async () => {
  ({ prisma, close } = await createTestDatabase());
  await prisma.$executeRawUnsafe(`insert into "user" (id, name, email, "updatedAt") values
    ('alice', 'Alice', 'alice@test.flint', now()), ('carol', 'Carol', 'carol@test.flint', now())`);
  await prisma.$executeRawUnsafe(`insert into project (id, name, "updatedAt", "createdById") values
    ('pa', 'Sales', now(), 'alice'), ('pc', 'Secret', now(), 'carol')`);
  await prisma.$executeRawUnsafe(`insert into project_member ("projectId", "userId", role) values
    ('pa', 'alice', 'admin'), ('pc', 'carol', 'admin')`);
  await prisma.$transaction(async (tx) =>
    insertAssets(tx, [
      asset("pa", "customer_orders_2026", {
        description: "Orders placed by customers",
        columns: [
          { name: "order_id", dataType: "bigint" },
          { name: "customer_email", dataType: "string" },
        ],
      }),
      asset("pa", "dim_warehouse"),
      asset("pa", "fact_shipment_daily", { popularity: 0.9 }),
      asset("pa", "shipments_archive", { popularity: 0.1 }),
      asset("pa", "payment_ledger"),
      // Only in Carol's project: Alice must never be offered this word or find the asset.
      asset("pc", "zanzibar_payroll"),
    ]),
  );
});

afterAll(async () => {
  await close?.();
});

describe("edit distance", () => {
  it("counts a swap of neighbouring letters, a deletion and a substitution as one edit", () => {
    expect(editDistance("customer", "custmoer")).toBe(1);
    expect(editDistance("customer", "custmer")).toBe(1);
    expect(editDistance("customer", "custxmer")).toBe(1);
    expect(editDistance("customer", "customer")).toBe(0);
    expect(editDistance("warehouse", "wrehuose")).toBe(2);
  });
});

describe("single edits", () => {
  it("lists deletions, swaps, substitutions and insertions, without the word itself", () => {
    const edits = singleEdits("dialy");
    for (const edit of ["daily", "dial", "dially", "diary"]) expect(edits).toContain(edit);
    expect(edits).not.toContain("dialy");
    expect(new Set(edits).size).toBe(edits.length);
    expect(singleEdits("café")).toEqual([]);
  });
});

describe("typo correction", () => {
  it("corrects a short word whose typo breaks most of its trigrams", async () => {
    // 60 words that share more trigrams with "dialy" than "daily" does: the nearest trigram
    // neighbours alone would not reach daily.
    const near = Array.from(
      { length: 60 },
      (_, index) => `dia${"abcdefghij"[index % 10]}${"klmnop"[Math.floor(index / 10)]}`,
    );
    await prisma.$transaction(async (tx) =>
      insertAssets(tx, [
        asset("pa", "dial_codes", {
          columns: near.map((name) => ({ name, dataType: "string" })),
        }),
      ]),
    );
    expect((await analyzeWords(prisma, alice, ["dialy"])).corrections.get("dialy")).toContain("daily");
    expect(names((await searchAssets(prisma, alice, "shipment dialy")).items)[0]).toBe("fact_shipment_daily");
  });

  it("finds the asset of a one-typo query and reports the corrected query", async () => {
    for (const q of ["custmer", "cusotmer", "custxmer"]) {
      const result = await searchAssets(prisma, alice, q);
      expect(names(result.items)).toEqual(["customer_orders_2026"]);
      expect(result.correctedQuery).toBe("customer");
    }
  });

  it("corrects one word of several and keeps the others", async () => {
    const result = await searchAssets(prisma, alice, "shipmnet daily");
    expect(names(result.items)[0]).toBe("fact_shipment_daily");
  });

  it("corrects a column name word by word", async () => {
    const result = await searchAssets(prisma, alice, "col:custmer_email");
    expect(names(result.items)).toEqual(["customer_orders_2026"]);
    expect(result.correctedQuery).toBe("col:customer_email");
  });

  it("leaves known words alone and marks them for whole-word matching", async () => {
    const analysis = await analyzeWords(prisma, alice, ["warehouse", "custmer", "ab"]);
    expect([...analysis.known]).toEqual(["warehouse"]);
    expect(analysis.corrections.get("custmer")).toEqual(["customer"]);
    const result = await searchAssets(prisma, alice, "warehouse");
    expect(result.correctedQuery).toBeNull();
    expect(names(result.items)).toEqual(["dim_warehouse"]);
  });

  it("never suggests a word of another project, nor finds its assets", async () => {
    const analysis = await analyzeWords(prisma, alice, ["zanzibr"]);
    expect(analysis.corrections.size).toBe(0);
    expect((await searchAssets(prisma, alice, "zanzibr")).items).toEqual([]);
    expect(names((await searchAssets(prisma, carol, "zanzibr")).items)).toEqual(["zanzibar_payroll"]);
  });

  it("forgets a word when its last asset goes", async () => {
    const [id] = await prisma.$transaction(async (tx) => insertAssets(tx, [asset("pa", "quokka_sightings")]));
    expect(names((await searchAssets(prisma, alice, "quokak")).items)).toEqual(["quokka_sightings"]);
    await deleteAsset(prisma, id!);
    expect((await analyzeWords(prisma, alice, ["quokak"])).corrections.size).toBe(0);
  });
});

describe("ranking and autocomplete", () => {
  it("ranks the exact name first and whole words above prefixes", async () => {
    expect(names((await searchAssets(prisma, alice, "shipments_archive")).items)[0]).toBe(
      "shipments_archive",
    );
    // `shipment` is a whole word of fact_shipment_daily; shipments_archive only stems to it.
    expect(names((await searchAssets(prisma, alice, "shipment")).items)).toContain("fact_shipment_daily");
  });

  it("suggests names that start with the text, then names whose words do", async () => {
    expect(names(await autocompleteAssets(prisma, alice, "fact_sh"))).toEqual(["fact_shipment_daily"]);
    expect(names(await autocompleteAssets(prisma, alice, "ship"))).toEqual([
      "shipments_archive",
      "fact_shipment_daily",
    ]);
    expect(await autocompleteAssets(prisma, alice, "zanz")).toEqual([]);
  });
});

describe("column search", () => {
  it("finds a table by a column name and highlights the matched columns, exact name first", async () => {
    const byName = (await searchAssets(prisma, alice, "customer_email")).items;
    expect(names(byName)).toEqual(["customer_orders_2026"]);
    expect(byName[0]!.matchedColumns).toEqual([{ name: "customer_email", dataType: "string" }]);
    // A word matches the words of column names, stemmed: "emails" → customer_email.
    const byWord = (await searchAssets(prisma, alice, "orders emails")).items;
    expect(byWord[0]!.matchedColumns.map((column) => column.name)).toEqual(["order_id", "customer_email"]);
  });

  it("treats a query as a column search only when few visible assets have that column", async () => {
    // Every test asset but one has `id`; one has customer_email.
    expect(await knownColumnNames(prisma, alice, ["id", "customer_email"])).toEqual(["id", "customer_email"]);
    expect(await knownColumnNames(prisma, alice, ["id", "customer_email"], 3)).toEqual(["customer_email"]);
  });

  it("never treats a column name of another project as one", async () => {
    const [id] = await prisma.$transaction(async (tx) =>
      insertAssets(tx, [
        asset("pc", "payroll_2026", { columns: [{ name: "salary_band", dataType: "string" }] }),
      ]),
    );
    expect((await searchAssets(prisma, carol, "salary_band")).columnSearch).toEqual(["salary_band"]);
    const asAlice = await searchAssets(prisma, alice, "salary_band");
    expect(asAlice.columnSearch).toEqual([]);
    expect(asAlice.items).toEqual([]);
    await deleteAsset(prisma, id!);
  });

  it("keeps the columns of an asset in order through a documentation edit", async () => {
    const [id] = await prisma.$transaction(async (tx) =>
      insertAssets(tx, [
        asset("pa", "wombat_counts", {
          columns: [
            { name: "zone", dataType: "string", nullable: false },
            { name: "wombatCount", dataType: "int", description: "Wombats seen" },
          ],
        }),
      ]),
    );
    await updateAssetDocumentation(prisma, id!, { columns: [{ name: "zone", description: "Survey zone" }] });
    const [row] = await prisma.$queryRawUnsafe<{ columns: unknown }[]>(
      "select columns from catalog_asset where id = $1",
      id,
    );
    expect(parseStoredColumns(row!.columns)).toEqual([
      { name: "zone", dataType: "string", nullable: false, description: "Survey zone" },
      { name: "wombatCount", dataType: "int", nullable: true, description: "Wombats seen" },
    ]);
    // camelCase column words are searchable, and found through `col:`.
    expect(names((await searchAssets(prisma, alice, "col:wombatcount")).items)).toEqual(["wombat_counts"]);
    await deleteAsset(prisma, id!);
  });
});
