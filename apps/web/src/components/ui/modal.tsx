// The one modal shell of the web app: backdrop, dialog semantics, focus in and back out, Escape.
// Every dialog (upload, connection, versions, chart builder, command palette, ...) renders its
// content inside it, so they all behave the same way from the keyboard and to a screen reader.
"use client";
import {
  type ReactNode,
  type RefObject,
  useEffect,
  useEffectEvent,
  useRef,
  useState,
  useSyncExternalStore,
} from "react";
import { createPortal } from "react-dom";

/** Elements Tab can reach. The dialog element itself (tabIndex -1) is not one of them. */
const TAB_STOPS = [
  "a[href]",
  "button:not([disabled])",
  'input:not([disabled]):not([type="hidden"])',
  "select:not([disabled])",
  "textarea:not([disabled])",
  "iframe",
  '[contenteditable="true"]',
  "[tabindex]",
].join(",");

/**
 * Open modals, oldest first. Only the newest one answers Escape and keeps Tab inside, so a
 * dialog opened over another (the palette over the versions dialog) closes on its own.
 */
const openModals: object[] = [];

function tabStopsIn(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(TAB_STOPS)).filter(
    // tabIndex -1 opts out of Tab; an element without boxes (display: none) cannot take focus.
    (element) => element.tabIndex >= 0 && element.getClientRects().length > 0,
  );
}

/** True when `node` comes after `reference` in document order. */
function isAfter(node: Node, reference: Node): boolean {
  return Boolean(reference.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING);
}

/** Tab from the last stop wraps to the first, Shift+Tab from the first to the last. */
function keepTabInside(event: KeyboardEvent, dialog: HTMLElement): void {
  const stops = tabStopsIn(dialog);
  const first = stops[0];
  const last = stops.at(-1);
  if (!first || !last) {
    event.preventDefault();
    dialog.focus();
    return;
  }
  const active = document.activeElement;
  const isInside = active instanceof HTMLElement && active !== dialog && dialog.contains(active);
  // Between stops the browser's own order is right; only a step past either end needs help.
  const isAtEdge = !isInside || (event.shiftKey ? !isAfter(active, first) : !isAfter(last, active));
  if (!isAtEdge) return;
  event.preventDefault();
  (event.shiftKey ? last : first).focus();
}

const subscribeToNothing = () => () => {};

/** False on the server and while hydrating (there is no document.body to portal into), then true. */
function useIsClient(): boolean {
  return useSyncExternalStore(
    subscribeToNothing,
    () => true,
    () => false,
  );
}

/** The dialog's accessible name: the id of its visible title, or a label when it shows none. */
type TModalName = { labelledBy: string; label?: undefined } | { label: string; labelledBy?: undefined };

export type TModalProps = TModalName & {
  children: ReactNode;
  /** Classes of the dialog box: width, height, padding, layout. The shell adds the card look. */
  className?: string;
  /**
   * Closes the dialog; Escape calls it. Without it the dialog stays until one of its own buttons
   * decides (a save conflict must be resolved, not dismissed).
   */
  onClose?: () => void;
  /** A blocking action is in flight (an upload, a restore): Escape and the backdrop do not close. */
  isBusy?: boolean;
  /** Where focus goes on open; by default the first element Tab reaches, else the dialog itself. */
  initialFocus?: RefObject<HTMLElement | null>;
  /** A press on the backdrop closes too: for light pickers (the command palette), not for forms. */
  isClosedByBackdrop?: boolean;
  /** `center` for forms; `top` for a palette that grows downwards as results come in. */
  placement?: "center" | "top";
};

/**
 * A modal dialog over a dimmed backdrop, like JupyterLab's and Hex's dialogs.
 *
 * - `role="dialog"` and `aria-modal="true"` sit on the dialog box, named by `labelledBy` or `label`.
 * - On open, focus moves inside (to `initialFocus`, else the first focusable element); Tab and
 *   Shift+Tab stay inside, and focus moved behind the dialog by script is taken back; on close,
 *   focus returns to the element that had it before.
 * - Escape calls `onClose`, unless there is none or `isBusy` is set.
 *
 * It renders into `document.body`, so an ancestor's `z-index`, `transform` or `backdrop-filter`
 * (the notebook toolbar is blurred) cannot clip it or pin its `position: fixed` backdrop.
 */
export function Modal({
  children,
  className = "",
  onClose,
  isBusy = false,
  initialFocus,
  isClosedByBackdrop = false,
  placement = "center",
  labelledBy,
  label,
}: TModalProps) {
  const dialogRef = useRef<HTMLDivElement>(null);
  const isClient = useIsClient();
  // Read while rendering, not in an effect: children commit and run their effects first, so one
  // with autoFocus or its own focus() would already have moved focus, losing the element to return to.
  const [opener] = useState(() => (typeof document === "undefined" ? null : document.activeElement));
  const canClose = Boolean(onClose) && !isBusy;

  const onKeyDown = useEffectEvent((event: KeyboardEvent, dialog: HTMLElement) => {
    if (event.key === "Tab") {
      keepTabInside(event, dialog);
    } else if (event.key === "Escape" && canClose && !event.defaultPrevented && !event.isComposing) {
      // A control inside that used Escape itself (to close its own popup) prevented the default.
      event.preventDefault();
      onClose?.();
    }
  });

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!isClient || !dialog) return;
    const entry = {};
    openModals.push(entry);
    const listener = (event: KeyboardEvent) => {
      if (openModals.at(-1) === entry) onKeyDown(event, dialog);
    };
    // Script behind the dialog may still move focus (the notebook refocuses its active cell when
    // the palette over this dialog closes): take it back to where it was inside. Checked a frame
    // later, because focus that leaves as this dialog closes (a palette command) is not theft.
    let lastInside: HTMLElement | null = null;
    let frame = 0;
    const onFocusIn = (event: FocusEvent) => {
      if (event.target instanceof HTMLElement && dialog.contains(event.target)) {
        lastInside = event.target;
        return;
      }
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        if (openModals.at(-1) !== entry || dialog.contains(document.activeElement)) return;
        (lastInside?.isConnected ? lastInside : (tabStopsIn(dialog)[0] ?? dialog)).focus();
      });
    };
    window.addEventListener("keydown", listener);
    document.addEventListener("focusin", onFocusIn);
    if (dialog.contains(document.activeElement)) lastInside = document.activeElement as HTMLElement;
    else (initialFocus?.current ?? tabStopsIn(dialog)[0] ?? dialog).focus();
    return () => {
      window.removeEventListener("keydown", listener);
      document.removeEventListener("focusin", onFocusIn);
      cancelAnimationFrame(frame);
      openModals.splice(openModals.indexOf(entry), 1);
      // Hand focus back only if it is still ours (inside, or dropped to <body> as the dialog left
      // the page): an action that moved it on purpose, such as a palette command, keeps its choice.
      const active = document.activeElement;
      const isFocusOurs = !active || active === document.body || dialog.contains(active);
      if (isFocusOurs && opener instanceof HTMLElement && opener !== document.body && opener.isConnected) {
        // The page behind did not scroll while the dialog was open, so the opener is where it was.
        opener.focus({ preventScroll: true });
      }
    };
  }, [isClient, initialFocus, opener]);

  if (!isClient) return null;
  return createPortal(
    // biome-ignore lint/a11y/noStaticElementInteractions: the backdrop is no control; Escape is the keyboard's way out
    <div
      className={`fixed inset-0 z-50 flex justify-center bg-slate-900/40 p-4 ${
        placement === "top" ? "items-start pt-24" : "items-center"
      }`}
      onMouseDown={(event) => {
        if (event.target !== event.currentTarget) return;
        // Without this a press on the backdrop moves focus to <body>, out of the dialog.
        event.preventDefault();
        if (isClosedByBackdrop && canClose) onClose?.();
      }}
    >
      <div
        ref={dialogRef}
        role="dialog"
        aria-modal="true"
        aria-labelledby={labelledBy}
        aria-label={label}
        // Focusable from script only: the fallback for initial focus, and where a click on the
        // dialog's padding puts focus (it stays inside instead of dropping to <body>).
        tabIndex={-1}
        className={`card outline-none ${className}`}
      >
        {children}
      </div>
    </div>,
    document.body,
  );
}
