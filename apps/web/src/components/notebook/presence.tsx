// Who else is in the notebook (co-editing): their avatars in the header, a click follows them (the
// page goes with them from cell to cell until the person clicks, types or clicks the avatar
// again); and, on each cell, the names of the people who have it selected.
"use client";
import { memo, useEffect, useRef, useState } from "react";
import type { TPeer } from "@/lib/notebook/collab";
import type { NotebookController } from "@/lib/notebook/controller";
import { usePeers } from "@/lib/notebook/hooks";

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (
    (parts[0]?.[0] ?? "?") + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? "") : "")
  ).toUpperCase();
}

/** One avatar per person (a person with two tabs shows once). */
function byUser(peers: TPeer[]): TPeer[] {
  const seen = new Map<string, TPeer>();
  for (const peer of peers) if (!seen.has(peer.userId) || peer.cellId) seen.set(peer.userId, peer);
  return [...seen.values()];
}

export function PresenceAvatars({ controller }: { controller: NotebookController }) {
  const peers = byUser(usePeers(controller));
  const [followed, setFollowed] = useState<string | null>(null);
  const list = useRef<HTMLUListElement>(null);
  const { store } = controller;
  const target = followed ? peers.find((peer) => peer.userId === followed) : undefined;
  const targetCell = target?.cellId ?? null;

  // Where the followed person goes, the page goes.
  useEffect(() => {
    if (!targetCell || store.getCell(targetCell) === undefined) return;
    store.select(targetCell);
    document.getElementById(`cell-${targetCell}`)?.scrollIntoView({ block: "center" });
  }, [targetCell, store]);

  // Following ends when the person leaves, or when this person acts on the page themselves.
  const isGone = followed !== null && target === undefined;
  useEffect(() => {
    if (isGone) setFollowed(null);
  }, [isGone]);
  useEffect(() => {
    if (!followed) return;
    const stop = (event: Event) => {
      // The avatars' own clicks and Enter/Space toggle following themselves.
      const isOnAvatars = list.current?.contains(event.target as Node) ?? false;
      if (
        isOnAvatars &&
        (event.type === "pointerdown" || ["Enter", " "].includes((event as KeyboardEvent).key))
      )
        return;
      setFollowed(null);
    };
    document.addEventListener("pointerdown", stop, true);
    document.addEventListener("keydown", stop, true);
    return () => {
      document.removeEventListener("pointerdown", stop, true);
      document.removeEventListener("keydown", stop, true);
    };
  }, [followed]);

  if (peers.length === 0) return null;
  return (
    <ul ref={list} aria-label="People in this notebook" className="flex items-center -space-x-1">
      {peers.map((peer) => {
        const index = peer.cellId ? store.indexOf(peer.cellId) : -1;
        const where = index >= 0 ? `in cell ${index + 1}` : "here";
        const isFollowed = followed === peer.userId;
        return (
          <li key={peer.userId}>
            <button
              type="button"
              onClick={() => setFollowed(isFollowed ? null : peer.userId)}
              aria-pressed={isFollowed}
              title={`${peer.name} (${where}); ${isFollowed ? "following: click to stop" : "click to follow"}`}
              aria-label={`${peer.name}, ${where}${isFollowed ? ", following" : ""}`}
              className={`nb-avatar nb-presence-bg-${peer.color}${isFollowed ? " nb-avatar-followed" : ""}`}
            >
              {initials(peer.name)}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** The names of the others who have this cell selected (memoized: a cell renders on every keystroke). */
export const CellPresence = memo(function CellPresence({
  controller,
  cellId,
}: {
  controller: NotebookController;
  cellId: string;
}) {
  const here = byUser(usePeers(controller)).filter((peer) => peer.cellId === cellId);
  if (here.length === 0) return null;
  return (
    <div className="nb-cell-presence" data-testid="cell-presence">
      {here.map((peer) => (
        <span key={peer.userId} className={`nb-presence-tag nb-presence-bg-${peer.color}`}>
          {peer.name}
        </span>
      ))}
    </div>
  );
});
