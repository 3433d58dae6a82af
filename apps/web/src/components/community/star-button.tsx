"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

/**
 * A toggle like GitHub's: "☆ Star 3" until pressed, then "★ Starred 4" (aria-pressed); pressing
 * again unstars. The count is the server's answer, so it is right when others star too.
 */
export function StarButton({ type, id }: { type: "notebook" | "chart"; id: string }) {
  const queryClient = useQueryClient();
  const params = { params: { id } };
  const starQuery = useQuery({
    queryKey: queryKeys.star(type, id),
    queryFn: () =>
      type === "notebook" ? apiClient("getNotebookStar", params) : apiClient("getChartStar", params),
  });
  const star = starQuery.data ?? null;
  const [isBusy, setBusy] = useState(false);
  const [toggleError, setError] = useState<string | null>(null);
  // Visitors who are not signed in (401) cannot star: no button for them, not even while asking.
  const isSignedOut = starQuery.error?.status === 401;
  const error = toggleError ?? (isSignedOut ? null : (starQuery.error?.message ?? null));
  if (isSignedOut || (!star && !error)) return null;
  const toggle = async () => {
    if (!star) return;
    setBusy(true);
    setError(null);
    try {
      queryClient.setQueryData(
        queryKeys.star(type, id),
        await apiClient(
          type === "notebook"
            ? star.starred
              ? "unstarNotebook"
              : "starNotebook"
            : star.starred
              ? "unstarChart"
              : "starChart",
          params,
        ),
      );
    } catch (err) {
      setError(`The star was not changed: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className="btn-secondary"
        aria-pressed={star?.starred ?? false}
        disabled={!star || isBusy}
        onClick={toggle}
        title={star?.starred ? "Remove your star" : `Star this ${type}`}
        aria-label={
          star
            ? `${star.starred ? "Starred" : "Star"}, ${star.stars} ${star.stars === 1 ? "star" : "stars"}`
            : "Star"
        }
      >
        <span aria-hidden>{star?.starred ? "★" : "☆"}</span> {star?.starred ? "Starred" : "Star"}
        {star && (
          <span data-testid="star-count" className="ml-1 rounded-full bg-slate-100 px-1.5 text-xs">
            {star.stars}
          </span>
        )}
      </button>
      {error && (
        <span role="alert" className="text-sm text-red-700">
          {error}
        </span>
      )}
    </>
  );
}
