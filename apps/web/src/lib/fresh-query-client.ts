import { type InvalidateOptions, type InvalidateQueryFilters, QueryClient } from "@tanstack/react-query";

/**
 * A QueryClient whose invalidation always leads to data fetched after it. TanStack Query's own
 * `invalidateQueries` replaces an in-flight fetch only when the query already has data; while a
 * query's first load is in flight it hands back that load, begun before the change. A token
 * created on a page that had just hydrated then never showed in its list (CI, stop 28): the
 * list's first fetch left before the create and came back without it. Cancelling the matching
 * fetches first (each reverts to what it had) makes the refetch start after the change.
 */
export class FreshQueryClient extends QueryClient {
  override async invalidateQueries(
    filters?: InvalidateQueryFilters,
    options?: InvalidateOptions,
  ): Promise<void> {
    await this.cancelQueries(filters);
    return super.invalidateQueries(filters, options);
  }
}
