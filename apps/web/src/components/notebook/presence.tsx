// Who else is in the notebook (co-editing): their avatars in the header, a click follows them to
// the cell they are in; and, on each cell, the names of the people who have it selected.
"use client";
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
  if (peers.length === 0) return null;
  const { store } = controller;
  const follow = (peer: TPeer) => {
    if (!peer.cellId || store.getCell(peer.cellId) === undefined) return;
    store.select(peer.cellId);
    document.getElementById(`cell-${peer.cellId}`)?.scrollIntoView({ block: "center" });
  };
  return (
    <ul aria-label="People in this notebook" className="flex items-center -space-x-1">
      {peers.map((peer) => {
        const index = peer.cellId ? store.indexOf(peer.cellId) : -1;
        const where = index >= 0 ? `in cell ${index + 1}` : "here";
        return (
          <li key={peer.userId}>
            <button
              type="button"
              onClick={() => follow(peer)}
              title={`${peer.name} (${where}); click to follow`}
              aria-label={`${peer.name}, ${where}`}
              className={`nb-avatar nb-presence-bg-${peer.color}`}
            >
              {initials(peer.name)}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** The names of the others who have this cell selected. */
export function CellPresence({ controller, cellId }: { controller: NotebookController; cellId: string }) {
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
}
