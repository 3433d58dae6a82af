"use client";
import { useEffect, useState } from "react";
import { type ApiError, apiFetch } from "@/lib/api";

type TStar = { starred: boolean; stars: number };

/**
 * A toggle like GitHub's: "☆ Star 3" until pressed, then "★ Starred 4" (aria-pressed); pressing
 * again unstars. The count is the server's answer, so it is right when others star too.
 */
export function StarButton({ type, id }: { type: "notebook" | "chart"; id: string }) {
  const [star, setStar] = useState<TStar | null>(null);
  const [isBusy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Visitors who are not signed in (401) cannot star: no button for them, not even while asking.
  const [isSignedOut, setSignedOut] = useState(false);
  const url = `/api/v1/${type}s/${encodeURIComponent(id)}/star`;
  useEffect(() => {
    apiFetch<TStar>(url).then(setStar, (err: ApiError) =>
      err.status === 401 ? setSignedOut(true) : setError(err.message),
    );
  }, [url]);
  if (isSignedOut || (!star && !error)) return null;
  const toggle = async () => {
    if (!star) return;
    setBusy(true);
    setError(null);
    try {
      setStar(await apiFetch<TStar>(url, { method: star.starred ? "DELETE" : "POST" }));
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
