// Sanitizing HTML and markdown from notebook outputs and cells (SECURITY.md cases 1-6, 8-10).
// Output HTML is somebody else's content shown inside Flint's origin, so it is cut down to inert
// markup: no scripts or event handlers, no forms, no frames, no SVG/MathML (mutation-XSS
// vectors), no `id`/`name` (DOM clobbering of globals such as `__NEXT_DATA__`), no `data-*`,
// no `<style>` and no positioning styles (so nothing escapes or covers the output box), no class
// names other than the few table classes Flint styles (so app utility classes like `fixed
// inset-0` cannot be borrowed), and links only to http(s), mailto and in-page targets.
import createDOMPurify, { type Config, type DOMPurify, type WindowLike } from "dompurify";

const FORBID_TAGS = [
  "style",
  "script",
  "form",
  "input",
  "button",
  "select",
  "textarea",
  "option",
  "optgroup",
  "datalist",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "link",
  "meta",
  "base",
  "dialog",
  "template",
  "slot",
  "portal",
  "noscript",
  "svg",
  "math",
  "audio",
  "video",
  "source",
  "track",
];

const FORBID_ATTR = [
  "id",
  "name",
  "form",
  "formaction",
  "action",
  "srcset",
  "ping",
  "autofocus",
  "background",
  "poster",
  "popover",
  "popovertarget",
  "popovertargetaction",
  "xlink:href",
  "is",
];

// Classes Flint's own output styles target; every other class is dropped.
const ALLOWED_CLASSES = new Set(["dataframe", "flint-table", "flint-num", "flint-null", "flint-type"]);

// CSS properties that could lift content out of its box or fetch something.
const BLOCKED_STYLE_PROPERTIES = new Set([
  "position",
  "z-index",
  "inset",
  "top",
  "left",
  "right",
  "bottom",
  "behavior",
  "-moz-binding",
  "content",
]);

const SAFE_LINK = /^(?:https?:|mailto:|#)/i;
// Relative paths are resolved against Flint's origin; `//host` is another origin and fine.
const RELATIVE_LINK = /^(?:\/|\.{1,2}\/|[^:/?#]+(?:[/?#]|$))/;
const SAFE_IMAGE = /^(?:data:image\/(?:png|jpeg|gif|webp|bmp);base64,[a-z0-9+/=\s]+$|https?:\/\/)/i;

const BASE_CONFIG: Config = {
  USE_PROFILES: { html: true },
  FORBID_TAGS,
  FORBID_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  ALLOW_SELF_CLOSE_IN_ATTR: false,
  SANITIZE_DOM: true,
  KEEP_CONTENT: true,
  WHOLE_DOCUMENT: false,
};

function cleanStyle(element: Element): void {
  const style = (element as HTMLElement).style;
  if (!style) return;
  const doomed: string[] = [];
  for (let i = 0; i < style.length; i++) {
    const property = style.item(i);
    const value = style.getPropertyValue(property);
    if (BLOCKED_STYLE_PROPERTIES.has(property) || /url\s*\(|expression\s*\(|image-set\s*\(/i.test(value)) {
      doomed.push(property);
    }
  }
  for (const property of doomed) style.removeProperty(property);
  if (style.length === 0) element.removeAttribute("style");
}

function cleanAttributes(element: Element): void {
  if (element.hasAttribute("style")) cleanStyle(element);
  if (element.hasAttribute("class")) {
    const kept = Array.from(element.classList).filter((name) => ALLOWED_CLASSES.has(name));
    if (kept.length > 0) element.setAttribute("class", kept.join(" "));
    else element.removeAttribute("class");
  }
  const tag = element.tagName.toLowerCase();
  if (tag === "a" || tag === "area") {
    const href = element.getAttribute("href");
    if (href !== null) {
      const trimmed = href.trim();
      if (!SAFE_LINK.test(trimmed) && !RELATIVE_LINK.test(trimmed)) element.removeAttribute("href");
    }
    // Removed and set again in a fixed order, so a second pass gives the same markup.
    element.removeAttribute("target");
    element.removeAttribute("rel");
    if (element.hasAttribute("href") && !element.getAttribute("href")!.trim().startsWith("#")) {
      element.setAttribute("target", "_blank");
      element.setAttribute("rel", "noopener noreferrer nofollow");
    }
  }
  if (tag === "img") {
    const src = element.getAttribute("src");
    // No relative sources: an output must not make the browser request Flint's own URLs.
    if (src !== null && !SAFE_IMAGE.test(src.trim())) element.removeAttribute("src");
  }
}

export type TSanitizer = {
  /** Sanitized markup as a fragment, ready to append (no second parse, so no mutation XSS). */
  sanitizeToFragment: (html: string) => DocumentFragment;
  /** Sanitized markup as a string; sanitizing the result again gives the same string. */
  sanitizeToString: (html: string) => string;
};

/** Creates a sanitizer bound to a window (the page's, or jsdom's in unit tests). */
export function createSanitizer(win: WindowLike): TSanitizer {
  // An instance of its own, so these hooks never leak into another user of DOMPurify on the page.
  const purify: DOMPurify = createDOMPurify(win);
  purify.addHook("afterSanitizeAttributes", (node) => cleanAttributes(node));
  return {
    sanitizeToFragment: (html) => purify.sanitize(html, { ...BASE_CONFIG, RETURN_DOM_FRAGMENT: true }),
    sanitizeToString: (html) => purify.sanitize(html, { ...BASE_CONFIG }),
  };
}

let pageSanitizer: TSanitizer | null = null;

/** The page's sanitizer (browser only). */
export function getSanitizer(): TSanitizer {
  pageSanitizer ??= createSanitizer(window);
  return pageSanitizer;
}
