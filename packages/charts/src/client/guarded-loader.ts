/**
 * A Vega loader that only loads from the allow-list: the run-time half of the spec guard.
 *
 * The spec guard rewrites and checks the data URLs written in a spec; URLs computed by signals,
 * image URLs from fields and links from `href` channels only exist while the chart runs, and every
 * one of them passes through this loader's `sanitize`.
 *
 * A spec is written by one person and drawn in another's browser (a shared notebook, a published
 * chart), so the loader never lends the viewer's identity to it: data is fetched without cookies,
 * and a link to another site is not followed but handed to `onExternalLink`, which shows it.
 */

import type { Loader } from "vega";
import { classifyChartLink, resolveDataUrl, type TDataUrlPolicy } from "../spec-guard";

/** Options of {@link createGuardedLoader}. */
export interface TGuardedLoaderOptions {
  policy: TDataUrlPolicy;
  /** Called for every refused URL (data, image or link), so the chart can say why it is incomplete. */
  onBlocked?: (url: string, reason: string) => void;
  /**
   * Called instead of navigating when a click leads to another origin (or `mailto:`), with the
   * full target; without it such links do nothing.
   */
  onExternalLink?: (href: string) => void;
}

interface TSanitizeOptions {
  context?: string;
  response?: string;
}

/**
 * A loader for `vega-embed`'s `loader` option: data and images from allowed paths only (fetched
 * without credentials, redirects refused); links followed only within the page's origin (others
 * go to `onExternalLink`); never the file system.
 */
export function createGuardedLoader(options: TGuardedLoaderOptions): Loader {
  const refuse = (url: string, reason: string): never => {
    options.onBlocked?.(url, reason);
    throw new Error(`Blocked ${JSON.stringify(url)}: ${reason}`);
  };
  const loader = {
    options: {},
    fileAccess: false,
    async sanitize(
      uri: string,
      opts?: TSanitizeOptions,
    ): Promise<{ href: string; target?: string; rel?: string }> {
      if (opts?.context === "href") {
        const link = classifyChartLink(uri, globalThis.location?.href ?? "http://flint.invalid/");
        if (link === null) return refuse(String(uri), "only http, https and mailto links are allowed");
        if (link.kind === "external") {
          // Vega follows whatever this returns at once; a link off the site waits for the person.
          options.onExternalLink?.(link.href);
          throw new Error(`Held ${JSON.stringify(link.href)}: links to other sites are confirmed first`);
        }
        return { href: link.href, target: "_blank", rel: "noopener noreferrer nofollow" };
      }
      const resolved = resolveDataUrl(uri, options.policy);
      if (!resolved.ok) return refuse(String(uri), resolved.reason);
      return { href: resolved.url };
    },
    async load(uri: string, opts?: TSanitizeOptions): Promise<string> {
      const { href } = await loader.sanitize(uri, opts ?? { context: "dataflow" });
      return loader.http(href, opts ?? {});
    },
    async http(url: string, opts: TSanitizeOptions | Partial<RequestInit>): Promise<string> {
      // No cookies: the spec's author must not read what the viewer may (case 32). A redirect
      // could lead out of the allow-list, so none is followed.
      const response = await fetch(url, { credentials: "omit", redirect: "error" });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText} loading ${url}`);
      if ("response" in opts && opts.response === "arrayBuffer") {
        // Vega asks for binary formats (Arrow) this way and passes the buffer on despite the typing.
        return (await response.arrayBuffer()) as unknown as string;
      }
      return response.text();
    },
    async file(filename: string): Promise<string> {
      return refuse(filename, "charts cannot read files");
    },
  };
  return loader;
}
