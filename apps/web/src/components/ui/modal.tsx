// The one modal shell of the web app: a native <dialog> opened with showModal(), so the browser
// makes the page behind inert (focus cannot leave, script cannot focus behind it, screen readers
// see only the dialog) and stacks a dialog opened over another in its top layer. Every dialog
// (upload, connection, versions, chart builder, command palette, ...) renders inside it.
"use client";
import {
  type ReactNode,
  type RefObject,
  useLayoutEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from "react";
import { createPortal } from "react-dom";

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
 * - A native `<dialog>` opened with `showModal()`, named by `labelledBy` or `label`: the page
 *   behind is inert until it closes, so Tab stays in the dialog and the browser's own chrome.
 * - On open, focus moves to `initialFocus`, else where the browser's dialog focusing puts it
 *   (the first focusable element), else the dialog itself; on close, focus returns to the
 *   element that had it before.
 * - Escape calls `onClose`, unless there is none or `isBusy` is set: the shell, not the browser,
 *   decides, so a dialog that must be answered is never closed by the browser's Escape handling.
 *
 * It renders into `document.body`, so an ancestor's `z-index`, `transform` or `backdrop-filter`
 * (the notebook toolbar is blurred) cannot clip it.
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
  const dialogRef = useRef<HTMLDialogElement>(null);
  const isClient = useIsClient();
  // Read while rendering, not in an effect: children commit and run their effects first, so one
  // with its own focus() would already have moved focus, losing the element to return to.
  const [opener] = useState(() => (typeof document === "undefined" ? null : document.activeElement));
  const canClose = Boolean(onClose) && !isBusy;
  // The listeners below are added once per dialog; they read the latest props from here.
  const latest = useRef({ canClose, onClose });
  latest.current = { canClose, onClose };

  // A layout effect: the dialog is modal before children's effects run, so their focus() works.
  useLayoutEffect(() => {
    const dialog = dialogRef.current;
    if (!isClient || !dialog) return;
    const close = () => {
      if (latest.current.canClose) latest.current.onClose?.();
    };
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      // A control inside that used Escape itself (to close its own popup) prevented the default.
      const isForUs = !event.defaultPrevented && !event.isComposing;
      // Always cancelled: the browser would otherwise close the <dialog> behind React's back
      // (and, pressed twice, even one that ignores Escape).
      event.preventDefault();
      if (isForUs) close();
    };
    // Escape while focus is on no element (the focused button was removed) reaches the dialog
    // as a cancel request instead of a keydown.
    const onCancel = (event: Event) => {
      event.preventDefault();
      close();
    };
    // A cancel the browser refused to let us stop (repeated without a user gesture) closes the
    // dialog anyway: show it again, since React still renders it.
    let isUnmounting = false;
    const onNativeClose = () => {
      if (dialog.isConnected && !isUnmounting) dialog.showModal();
    };
    dialog.addEventListener("keydown", onKeyDown);
    dialog.addEventListener("cancel", onCancel);
    dialog.addEventListener("close", onNativeClose);
    dialog.showModal();
    initialFocus?.current?.focus();
    if (!dialog.contains(document.activeElement)) dialog.focus();
    return () => {
      isUnmounting = true;
      dialog.removeEventListener("keydown", onKeyDown);
      dialog.removeEventListener("cancel", onCancel);
      dialog.removeEventListener("close", onNativeClose);
      // Hand focus back only if it is still ours (inside, or dropped to <body> as the dialog left
      // the page): an action that moved it on purpose, such as a palette command, keeps its choice.
      const active = document.activeElement;
      const isFocusOurs = !active || active === document.body || dialog.contains(active);
      dialog.close();
      if (isFocusOurs && opener instanceof HTMLElement && opener !== document.body && opener.isConnected) {
        // The page behind did not scroll while the dialog was open, so the opener is where it was.
        opener.focus({ preventScroll: true });
      }
    };
  }, [isClient, initialFocus, opener]);

  if (!isClient) return null;
  return createPortal(
    // The <dialog> fills the viewport and lays its box out, so a press that lands on the dialog
    // itself (and not on its box) is a press on the backdrop.
    <dialog
      ref={dialogRef}
      aria-labelledby={labelledBy}
      aria-label={label}
      // Focusable from script only: the fallback for initial focus, and where a click on the
      // box's padding puts focus (it stays inside instead of dropping to <body>).
      tabIndex={-1}
      className={`m-0 h-full max-h-none w-full max-w-none justify-center border-0 bg-slate-900/40 p-4 text-inherit outline-none backdrop:bg-transparent open:flex ${
        placement === "top" ? "items-start pt-24" : "items-center"
      }`}
      onMouseDown={(event) => {
        if (event.target !== event.currentTarget) return;
        // Without this a press on the backdrop moves focus to the dialog, away from its control.
        event.preventDefault();
        if (isClosedByBackdrop && canClose) onClose?.();
      }}
    >
      <div className={`card ${className}`}>{children}</div>
    </dialog>,
    document.body,
  );
}
