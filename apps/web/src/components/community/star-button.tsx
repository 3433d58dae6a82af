"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { type ApiError, apiFetch } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

type TStar = { starred: boolean; stars: number };

/**
 * A toggle like GitHub's: "☆ Star 3" until pressed, then "★ Starred 4" (aria-pressed); pressing
 * again unstars. The count is the server's answer, so it is right when others star too.
 */
export function StarButton({ type, id }: { type: "notebook" | "chart"; id: string }) {
  const queryClient = useQueryClient();
  const url = `/api/v1/${type}s/${encodeURIComponent(id)}/star`;
  const starQuery = useQuery({ queryKey: queryKeys.star(type, id), queryFn: () => apiFetch<TStar>(url) });
  const star = starQuery.data ?? null;
  const [isBusy, setBusy] = useState(false);
  const [toggleError, setError] = useState<string | null>(null);
  // Visitors who are not signed in (401) cannot star: no button for them, not even while asking.
  const isSignedOut = (starQuery.error as ApiError | null)?.status === 401;
  const error = toggleError ?? (isSignedOut ? null : (starQuery.error?.message ?? null));
  if (isSignedOut || (!star && !error)) return null;
  const toggle = async () => {
    if (!star) return;
    setBusy(true);
    setError(null);
    try {
      queryClient.setQueryData(
        queryKeys.star(type, id),
        await apiFetch<TStar>(url, { method: star.starred ? "DELETE" : "POST" }),
      );
    } catch (err) {
      setError(`The star was not changed: ${(err as ApiError).message}`);
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
