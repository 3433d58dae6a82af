import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { FreshQueryClient } from "./fresh-query-client";

/**
 * A list whose first load is in flight when an item is added: the settings page's token list
 * right after hydration. The first load answers only when released, after the invalidation was
 * made, so the order is fixed whatever the machine's speed. Returns what the observer shows once
 * the invalidation settled.
 */
async function listAfterAddDuringFirstLoad(
  client: QueryClient,
  refetchType?: "none",
): Promise<string[] | undefined> {
  const items: string[] = [];
  let releaseFirst = () => {};
  const firstReleased = new Promise<void>((resolve) => {
    releaseFirst = resolve;
  });
  let firstStarted = () => {};
  const firstLoadStarted = new Promise<void>((resolve) => {
    firstStarted = resolve;
  });
  let loads = 0;
  const observer = new QueryObserver(client, {
    queryKey: ["items"],
    queryFn: async () => {
      const seen = [...items];
      loads += 1;
      if (loads === 1) {
        firstStarted();
        await firstReleased;
      }
      return seen;
    },
  });
  const unsubscribe = observer.subscribe(() => {});
  try {
    await firstLoadStarted;
    items.push("new token");
    const invalidated = client.invalidateQueries({
      queryKey: ["items"],
      ...(refetchType ? { refetchType } : {}),
    });
    releaseFirst();
    await invalidated;
    // A query the invalidation did not refetch still gets its first load.
    await client.getQueryCache().find({ queryKey: ["items"] })?.promise;
    return observer.getCurrentResult().data;
  } finally {
    unsubscribe();
    client.clear();
  }
}

describe("FreshQueryClient", () => {
  it("refetches after an invalidation made while the first load is in flight", async () => {
    expect(await listAfterAddDuringFirstLoad(new FreshQueryClient())).toEqual(["new token"]);
  });

  it("leaves a first load alone when the invalidation refetches nothing", async () => {
    expect(await listAfterAddDuringFirstLoad(new FreshQueryClient(), "none")).toEqual([]);
  });

  it("is needed: the library's client hands back the load begun before the change", async () => {
    expect(await listAfterAddDuringFirstLoad(new QueryClient())).toEqual([]);
  });
});
