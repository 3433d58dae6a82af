import { describe, expect, it } from "vitest";
import { Slots } from "./slots";

describe("Slots", () => {
  it("lets at most `size` holders in at once and the others in the order they asked", async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    let inside = 0;
    let most = 0;
    const work = async (name: string) => {
      await slots.take();
      inside++;
      most = Math.max(most, inside);
      order.push(name);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inside--;
      slots.give();
    };
    await Promise.all(["a", "b", "c", "d", "e"].map(work));
    expect(most).toBe(2);
    expect(order).toEqual(["a", "b", "c", "d", "e"]);
  });
});
