import { type InvalidateOptions, type InvalidateQueryFilters, QueryClient } from "@tanstack/react-query";

/**
 * A QueryClient whose invalidation always leads to data fetched after it. TanStack Query's own
 * `invalidateQueries` replaces an in-flight fetch only when the query already has data; while a
 * query's first load is in flight it hands back that load, begun before the change. A token
 * created on a page that had just hydrated then never showed in its list (CI, stop 28): the
 * list's first fetch left before the create and came back without it. So the first loads that
 * the invalidation will refetch are cancelled first (each reverts to its empty state), and the
 * refetch starts after the change. Nothing else is cancelled: a query the invalidation does not
 * refetch (`refetchType: "none"`, inactive or disabled ones) keeps its load, so none is left
 * without one.
 */
export class FreshQueryClient extends QueryClient {
  override async invalidateQueries(
    filters?: InvalidateQueryFilters,
    options?: InvalidateOptions,
  ): Promise<void> {
    const refetchType = filters?.refetchType ?? filters?.type ?? "active";
    if (refetchType !== "none") {
      // The same queries `refetchQueries` will fetch again (the library's own rule).
      const firstLoads = this.getQueryCache()
        .findAll({ ...filters, type: refetchType })
        .filter(
          (query) =>
            query.state.data === undefined && query.state.fetchStatus === "fetching" && !query.isDisabled(),
        );
      await Promise.all(firstLoads.map((query) => query.cancel({ revert: true })));
    }
    return super.invalidateQueries(filters, options);
  }
}
