import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { FreshQueryClient } from "./fresh-query-client";

/**
 * A list whose first load is slow and in flight when an item is added: the settings page's token
 * list right after hydration. Returns what the observer shows once the invalidation settles.
 */
async function listAfterAddDuringFirstLoad(
  client: QueryClient,
  refetchType?: "none",
): Promise<string[] | undefined> {
  const items: string[] = [];
  const observer = new QueryObserver(client, {
    queryKey: ["items"],
    queryFn: async () => {
      const seen = [...items];
      await new Promise((resolve) => setTimeout(resolve, 50));
      return seen;
    },
  });
  const unsubscribe = observer.subscribe(() => {});
  try {
    await new Promise((resolve) => setTimeout(resolve, 10)); // the first load is in flight
    items.push("new token");
    await client.invalidateQueries({ queryKey: ["items"], ...(refetchType ? { refetchType } : {}) });
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
