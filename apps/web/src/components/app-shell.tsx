"use client";
import { mentionsAsText } from "@flint/api/mentions";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { createContext, type ReactNode, useContext, useLayoutEffect, useState } from "react";
import { CatalogSearchBox } from "@/components/catalog/catalog-search-box";
import { BellIcon } from "@/components/ui/icons";
import { apiClient, type TResponse } from "@/lib/api";
import { authClient } from "@/lib/auth-client";
import { queryKeys } from "@/lib/query-keys";

/**
 * Lets a page widen the shell's reading column to the screen (a notebook with side panels open).
 * A state of the shell, not a CSS `:has()` on `<main>`: Chromium re-checks `:has()` against the
 * whole subtree whenever anything under it changes, which in a 1,000-cell notebook cost 3-6 ms of
 * style recalculation in every frame, typing included (issue 23).
 */
const WidePageContext = createContext<(isWide: boolean) => void>(() => {});

/**
 * Makes the page take the screen's width while `isWide` holds (and until the caller unmounts).
 * A layout effect, so the panel that asks for the width and the width come in the same frame.
 */
export function useWidePage(isWide: boolean): void {
  const setWide = useContext(WidePageContext);
  useLayoutEffect(() => {
    setWide(isWide);
    return () => setWide(false);
  }, [setWide, isWide]);
}

type TNotification = TResponse<"listNotifications">["notifications"][number];

function notificationHref(notification: TNotification): string {
  if (notification.jobRun)
    return `/projects/${notification.jobRun.projectId}/jobs/runs/${notification.jobRun.id}`;
  const comment = notification.comment;
  if (!comment) return "/";
  // The notebook page opens the cell's comments at this comment (see NotebookView).
  if (comment.notebookId) {
    const at = comment.cellId ? `?${new URLSearchParams({ cell: comment.cellId, comment: comment.id })}` : "";
    return `/projects/${comment.projectId}/notebooks/${comment.notebookId}${at}`;
  }
  if (comment.chartId) return `/projects/${comment.projectId}/charts/${comment.chartId}`;
  return `/projects/${comment.projectId}`;
}

/** The bell: mentions of the signed-in user and failed runs of their jobs, newest first. */
function Notifications() {
  const queryClient = useQueryClient();
  const { data } = useQuery({
    queryKey: queryKeys.notifications(),
    queryFn: () => apiClient("listNotifications"),
    refetchInterval: 30_000,
  });
  const items = data?.notifications ?? [];
  const unread = data?.unread ?? 0;
  const [isOpen, setOpen] = useState(false);
  const open = async () => {
    setOpen((value) => !value);
    if (unread > 0 && data) {
      await apiClient("markNotificationsRead", { body: {} }).catch(() => undefined);
      queryClient.setQueryData(queryKeys.notifications(), { ...data, unread: 0 });
    }
  };
  return (
    <div className="relative">
      <button
        type="button"
        className="btn-secondary"
        aria-haspopup="menu"
        aria-expanded={isOpen}
        onClick={open}
        aria-label={`Notifications, ${unread} unread`}
      >
        <BellIcon />
        {unread > 0 && (
          <span data-testid="unread-count" className="rounded-full bg-brand-600 px-1.5 text-xs text-white">
            {unread}
          </span>
        )}
      </button>
      {isOpen && (
        <div role="menu" className="card absolute right-0 z-20 mt-1 w-80 py-1" aria-label="Notifications">
          {items.length === 0 && <p className="px-3 py-2 text-sm text-slate-500">No notifications.</p>}
          {items.map((item) => (
            <Link
              role="menuitem"
              key={item.id}
              href={notificationHref(item)}
              onClick={() => setOpen(false)}
              className="block px-3 py-2 text-sm hover:bg-slate-100"
            >
              {item.jobRun ? (
                <>
                  <span className="font-medium">Job “{item.jobRun.jobName}”</span> failed:{" "}
                  <span className="text-slate-600">
                    {(item.jobRun.error ?? item.jobRun.status).slice(0, 120)}
                  </span>
                </>
              ) : (
                <>
                  <span className="font-medium">{item.comment?.author ?? "Someone"}</span> mentioned you:{" "}
                  <span className="text-slate-600">
                    {item.comment
                      ? mentionsAsText(item.comment.body, item.comment.mentionNames).slice(0, 120)
                      : ""}
                  </span>
                </>
              )}
            </Link>
          ))}
        </div>
      )}
    </div>
  );
}

const NAV = [
  { href: "/", label: "Projects" },
  { href: "/catalog", label: "Catalog" },
  { href: "/community", label: "Community" },
];

export function AppShell({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { data: me } = useQuery({ queryKey: queryKeys.me(), queryFn: () => apiClient("getMe") });
  const [isMenuOpen, setMenuOpen] = useState(false);
  const [isWide, setWide] = useState(false);
  const signOut = async () => {
    await authClient.signOut();
    // Nothing the signed-out person saw stays in memory for whoever signs in next in this tab.
    queryClient.clear();
    router.push("/login");
  };
  return (
    <div className="flex min-h-screen flex-col">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-6 px-4">
          <Link href="/" className="flex items-center gap-2 font-semibold text-slate-900">
            <span aria-hidden className="inline-block h-6 w-6 rounded bg-brand-600" />
            Flint
          </Link>
          <nav aria-label="Main" className="flex gap-1">
            {NAV.map((item) => {
              const isActive =
                item.href === "/"
                  ? pathname === "/" || pathname.startsWith("/projects")
                  : pathname.startsWith(item.href);
              return (
                <Link
                  key={item.href}
                  href={item.href}
                  aria-current={isActive ? "page" : undefined}
                  className={`rounded-md px-3 py-1.5 text-sm ${isActive ? "bg-slate-100 font-medium text-slate-900" : "text-slate-600 hover:text-slate-900"}`}
                >
                  {item.label}
                </Link>
              );
            })}
          </nav>
          <div className="ml-auto flex items-center gap-2">
            {me && <CatalogSearchBox />}
            {me && <Notifications />}
            {!me && (
              <Link href="/login" className="btn-secondary">
                Sign in
              </Link>
            )}
          </div>
          <div className={`relative ${me ? "" : "hidden"}`}>
            <button
              type="button"
              className="btn-secondary"
              aria-haspopup="menu"
              aria-expanded={isMenuOpen}
              onClick={() => setMenuOpen((open) => !open)}
              title={me?.email}
            >
              {/* The name people know each other by; the e-mail (unique) is in the menu. */}
              <span data-testid="user-menu" className="block max-w-48 truncate">
                {me?.name || me?.email || "Account"}
              </span>
            </button>
            {isMenuOpen && (
              <div role="menu" className="card absolute right-0 z-10 mt-1 w-64 py-1">
                <div className="border-b border-slate-100 px-3 pt-1 pb-2 text-sm">
                  <p className="truncate font-medium text-slate-900">{me?.name}</p>
                  <p data-testid="user-menu-email" className="truncate text-slate-600">
                    {me?.email}
                  </p>
                </div>
                <Link role="menuitem" href="/activity" className="block px-3 py-2 text-sm hover:bg-slate-100">
                  My activity
                </Link>
                <Link role="menuitem" href="/settings" className="block px-3 py-2 text-sm hover:bg-slate-100">
                  Settings
                </Link>
                <Link
                  role="menuitem"
                  href="/settings/tokens"
                  className="block px-3 py-2 text-sm hover:bg-slate-100"
                >
                  Access tokens
                </Link>
                {me?.isAdmin && (
                  <Link role="menuitem" href="/admin" className="block px-3 py-2 text-sm hover:bg-slate-100">
                    Administration
                  </Link>
                )}
                <button
                  role="menuitem"
                  type="button"
                  onClick={signOut}
                  className="block w-full px-3 py-2 text-left text-sm hover:bg-slate-100"
                >
                  Sign out
                </button>
              </div>
            )}
          </div>
        </div>
      </header>
      <main className={`mx-auto w-full flex-1 px-4 py-8 ${isWide ? "max-w-none" : "max-w-6xl"}`}>
        <WidePageContext.Provider value={setWide}>{children}</WidePageContext.Provider>
      </main>
    </div>
  );
}
