/**
 * The order in which queued profiles run, so that one person's bulk registration does not hold up
 * everyone else (issue 17): round robin over the people who asked (whoever was served least
 * recently goes next), and each person's smallest files first. Pure, so the queue's claim and the
 * position shown on an asset's page come from the same order.
 */

/** A queued run as the order needs it. */
export type TQueuedProfile = {
  id: string;
  /** Who asked (`null`: Flint itself, e.g. the sample catalog): one turn each. */
  requestedById: string | null;
  /** The asset's size; unknown sizes (connection tables) go after known ones. */
  sizeBytes: number | null;
  createdAt: Date;
};

/** Default seconds of one profile, before any has finished on this database. */
export const DEFAULT_PROFILE_SECONDS = 20;

const requesterKey = (run: TQueuedProfile): string => run.requestedById ?? "";

function compareWithinRequester(a: TQueuedProfile, b: TQueuedProfile): number {
  const sizeA = a.sizeBytes ?? Number.POSITIVE_INFINITY;
  const sizeB = b.sizeBytes ?? Number.POSITIVE_INFINITY;
  if (sizeA !== sizeB) return sizeA < sizeB ? -1 : 1;
  return a.createdAt.getTime() - b.createdAt.getTime();
}

/**
 * Orders queued runs fairly. `lastServedAt` maps a requester (`""` for Flint itself) to when one
 * of their runs last started (epoch ms); requesters never served go first, oldest request first.
 * @returns the runs in the order they will start.
 */
export function orderProfiles(
  queued: readonly TQueuedProfile[],
  lastServedAt: ReadonlyMap<string, number>,
): TQueuedProfile[] {
  const byRequester = new Map<string, TQueuedProfile[]>();
  for (const run of queued) {
    const list = byRequester.get(requesterKey(run)) ?? [];
    list.push(run);
    byRequester.set(requesterKey(run), list);
  }
  for (const list of byRequester.values()) list.sort(compareWithinRequester);
  const oldestRequest = (list: TQueuedProfile[]) => Math.min(...list.map((run) => run.createdAt.getTime()));
  // Serving a requester makes them the most recently served: the next turn goes round the others
  // first, so the order is rounds of one run per requester, in this order.
  const requesters = [...byRequester.entries()].sort(([keyA, listA], [keyB, listB]) => {
    const servedA = lastServedAt.get(keyA) ?? Number.NEGATIVE_INFINITY;
    const servedB = lastServedAt.get(keyB) ?? Number.NEGATIVE_INFINITY;
    if (servedA !== servedB) return servedA < servedB ? -1 : 1;
    return oldestRequest(listA) - oldestRequest(listB);
  });
  const ordered: TQueuedProfile[] = [];
  for (let round = 0; ordered.length < queued.length; round++) {
    for (const [, list] of requesters) {
      const run = list[round];
      if (run) ordered.push(run);
    }
  }
  return ordered;
}

/**
 * Seconds until a queued run starts: what the running profile has left plus one typical profile
 * per run ahead. `position` is 1-based (1: next).
 */
export function estimateStartSeconds(
  position: number,
  typicalSeconds: number,
  runningElapsedSeconds: number | null,
): number {
  const runningLeft =
    runningElapsedSeconds === null ? 0 : Math.max(1, typicalSeconds - runningElapsedSeconds);
  return Math.round(runningLeft + (position - 1) * typicalSeconds);
}
