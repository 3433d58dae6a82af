// withDriverTransaction and driverDb on the real embedded PostgreSQL: the transaction commits what
// `work` wrote, rolls all of it back when `work` throws, and leaves the pool usable either way;
// reads come back as pg reads them, with timestamps as UTC whatever the machine's time zone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "./client.js";
import { driverDb, withDriverTransaction } from "./client.js";
import { createTestDatabase } from "./testing/test-database.js";

let prisma: PrismaClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ prisma, close } = await createTestDatabase());
  await prisma.$executeRawUnsafe("create table driver_probe (id int primary key, big bigint, tag text)");
});

afterAll(async () => {
  await close?.();
});

describe("withDriverTransaction", () => {
  it("commits the work's writes and returns its result; bigint parameters arrive intact", async () => {
    const touched = await withDriverTransaction(prisma, async (db) =>
      db.$executeRawUnsafe(
        "insert into driver_probe (id, big, tag) select * from unnest($1::int[], $2::bigint[], $3::text[])",
        [1, 2],
        [9007199254740993n, 5n],
        ["a", "b"],
      ),
    );
    expect(touched).toBe(2);
    const rows = await prisma.$queryRawUnsafe<{ id: number; big: bigint }[]>(
      "select id, big from driver_probe order by id",
    );
    expect(rows).toEqual([
      { id: 1, big: 9007199254740993n },
      { id: 2, big: 5n },
    ]);
  });

  it("rolls every write back when the work throws, and the pool still serves", async () => {
    await expect(
      withDriverTransaction(prisma, async (db) => {
        await db.$executeRawUnsafe("insert into driver_probe (id) values (3)");
        await db.$executeRawUnsafe("insert into driver_probe (id) values (3)");
      }),
    ).rejects.toThrow(/duplicate key/);
    const count = await withDriverTransaction(prisma, async (db) =>
      db.$queryRawUnsafe<{ n: string }[]>("select count(*) as n from driver_probe where id = 3"),
    );
    expect(count).toEqual([{ n: "0" }]);
  });
});

describe("driverDb", () => {
  it("reads Prisma's timestamps as UTC in any time zone, int8 as text; takes bigint parameters", async () => {
    const zone = process.env.TZ;
    // A zone behind UTC: pg's own parser would read the timestamp as 03:04 New York time.
    process.env.TZ = "America/New_York";
    try {
      const [row] = await driverDb(prisma).$queryRawUnsafe<{ at: Date; big: string }[]>(
        "select '2026-01-02 03:04:05.678'::timestamp(3) as at, $1::bigint as big",
        9007199254740993n,
      );
      expect(row?.at.toISOString()).toBe("2026-01-02T03:04:05.678Z");
      expect(row?.big).toBe("9007199254740993");
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
