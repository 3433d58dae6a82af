"use client";
// One QueryClient for the page's life, made in the browser (not at module scope, which the
// server would share between requests).
import { type QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import type { ApiError } from "./api";
import { FreshQueryClient } from "./fresh-query-client";

declare module "@tanstack/react-query" {
  interface Register {
    // Every query and mutation calls the API through `apiClient`, which throws only ApiError.
    defaultError: ApiError;
  }
}

/**
 * Defaults chosen to keep what pages did before they used TanStack Query: an error shows at
 * once (no silent retries, which would hold an error message back by seconds), and data is
 * fetched again when a view mounts or a change invalidates it, not when the window gets focus
 * (a refetch then could replace a list under a person's pointer).
 */
export function makeQueryClient(): QueryClient {
  return new FreshQueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, refetchOnReconnect: false },
      mutations: { retry: false },
    },
  });
}

/** Gives every page one QueryClient; rendered once, in the root layout. */
export function QueryProvider({ children }: { children: ReactNode }) {
  const [client] = useState(makeQueryClient);
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
