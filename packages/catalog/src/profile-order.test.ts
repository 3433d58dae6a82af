import { describe, expect, it } from "vitest";
import { estimateStartSeconds, orderProfiles, type TQueuedProfile } from "./profile-order";

const at = (second: number) => new Date(Date.UTC(2026, 11, 6, 12, 0, second));
const run = (
  id: string,
  requestedById: string | null,
  sizeBytes: number | null,
  second: number,
): TQueuedProfile => ({
  id,
  requestedById,
  sizeBytes,
  createdAt: at(second),
});

describe("orderProfiles", () => {
  it("puts another person's upload after at most one of a bulk registration's profiles", () => {
    const bulk = Array.from({ length: 360 }, (_, index) =>
      run(`bulk-${index}`, "ada", 1000 + index, index % 60),
    );
    const upload = run("upload", "bob", 5_000_000, 59);
    // Ada's registration has been running for a while: one of hers started last.
    const ordered = orderProfiles([...bulk, upload], new Map([["ada", at(30).getTime()]]));
    expect(ordered[0]?.id).toBe("upload");
    // Had Bob been served more recently than Ada, one of Ada's would go first, then his.
    const afterBob = orderProfiles(
      [...bulk, upload],
      new Map([
        ["ada", at(10).getTime()],
        ["bob", at(20).getTime()],
      ]),
    );
    expect(afterBob.findIndex((entry) => entry.id === "upload")).toBe(1);
    expect(ordered).toHaveLength(361);
  });

  it("takes turns between people, each person's smallest files first, unknown sizes last", () => {
    const ordered = orderProfiles(
      [
        run("a-big", "ada", 900, 1),
        run("a-table", "ada", null, 2),
        run("a-small", "ada", 10, 3),
        run("b-1", "bob", 500, 4),
        run("flint", null, 50, 0),
      ],
      new Map(),
    );
    // Never served: oldest request first (Flint's own at second 0, Ada's at 1, Bob's at 4).
    expect(ordered.map((entry) => entry.id)).toEqual(["flint", "a-small", "b-1", "a-big", "a-table"]);
  });
});

describe("estimateStartSeconds", () => {
  it("adds what the running profile has left to one typical profile per run ahead", () => {
    expect(estimateStartSeconds(1, 10, null)).toBe(0);
    expect(estimateStartSeconds(1, 10, 4)).toBe(6);
    expect(estimateStartSeconds(3, 10, 4)).toBe(26);
    // A profile running longer than usual still counts a second.
    expect(estimateStartSeconds(1, 10, 40)).toBe(1);
  });
});
