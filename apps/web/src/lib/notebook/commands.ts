// The notebook's commands, with Jupyter's keys. One table feeds the keyboard handler, the
// command palette and the keyboard shortcuts dialog, so both lists show the keys that really work.
import type { NotebookController } from "./controller";
import type { NotebookStore } from "./store";

export type TViewActions = {
  openPalette: () => void;
  openFind: () => void;
  toggleToc: () => void;
  /**
   * Asks before restarting (variables are lost), as Jupyter does: the toolbar, `0 0` and the
   * palette all go through this, so none restarts on a stray keypress.
   */
  confirmRestart: (andRunAll: boolean) => void;
  openShortcuts: () => void;
};

export type TCommandContext = {
  controller: NotebookController;
  store: NotebookStore;
  view: TViewActions;
};

export type TCommand = {
  id: string;
  label: string;
  /** Keys in command mode ("Shift+Enter", "A", "D D" for a double press). */
  keys: string[];
  /** Keys that also work in edit mode. */
  editKeys?: string[];
  /** Needs the editor role (hidden from viewers and runners). */
  isEdit?: boolean;
  /** Needs the runner role. */
  isRun?: boolean;
  run: (ctx: TCommandContext) => void;
};

function runAndAdvance({ store, controller }: TCommandContext, alwaysInsert: boolean): void {
  const ids = store.getSelectedIds();
  void controller.run(ids);
  const last = ids[ids.length - 1];
  if (!last) return;
  const index = store.indexOf(last);
  const isLast = index === store.getCellIds().length - 1;
  if ((alwaysInsert || isLast) && store.canEdit()) {
    store.insert("below", last);
    store.setMode("edit");
  } else {
    store.setMode("command");
    store.select(store.getCellIds()[Math.min(index + 1, store.getCellIds().length - 1)] ?? null);
  }
}

export const COMMANDS: TCommand[] = [
  {
    id: "run-advance",
    label: "Run cell and select below",
    keys: ["Shift+Enter"],
    editKeys: ["Shift+Enter"],
    run: (ctx) => runAndAdvance(ctx, false),
  },
  {
    id: "run",
    label: "Run selected cells",
    keys: ["Ctrl+Enter"],
    editKeys: ["Ctrl+Enter"],
    run: ({ store, controller }) => {
      const ids = store.getSelectedIds();
      // A markdown cell "runs" by rendering: leave edit mode.
      if (ids.some((id) => store.getCell(id)?.cell_type !== "code")) store.setMode("command");
      void controller.run(ids);
    },
  },
  {
    id: "run-insert",
    label: "Run cell and insert below",
    keys: ["Alt+Enter"],
    editKeys: ["Alt+Enter"],
    run: (ctx) => runAndAdvance(ctx, true),
  },
  {
    id: "run-all",
    label: "Run all cells",
    keys: [],
    isRun: true,
    run: ({ controller }) => void controller.runAll(),
  },
  {
    id: "run-above",
    label: "Run all cells above",
    keys: [],
    isRun: true,
    run: ({ controller }) => void controller.runAbove(),
  },
  {
    id: "run-below",
    label: "Run selected cell and all below",
    keys: [],
    isRun: true,
    run: ({ controller }) => void controller.runBelow(),
  },
  {
    id: "interrupt",
    label: "Interrupt the kernel",
    keys: ["I I"],
    isRun: true,
    run: ({ controller }) => controller.interrupt(),
  },
  {
    id: "restart",
    label: "Restart the kernel",
    keys: ["0 0"],
    isRun: true,
    run: ({ view }) => view.confirmRestart(false),
  },
  {
    id: "shutdown",
    label: "Shut down the kernel",
    keys: [],
    isRun: true,
    run: ({ controller }) => controller.shutdown(),
  },
  {
    id: "restart-run-all",
    label: "Restart the kernel and run all cells",
    keys: [],
    isRun: true,
    run: ({ view }) => view.confirmRestart(true),
  },
  {
    id: "clear-outputs",
    label: "Clear outputs of selected cells",
    keys: [],
    isRun: true,
    run: ({ controller, store }) => controller.clearOutputs(store.getSelectedIds()),
  },
  {
    id: "clear-all-outputs",
    label: "Clear all outputs",
    keys: [],
    isRun: true,
    run: ({ controller }) => controller.clearOutputs(),
  },
  {
    id: "edit",
    label: "Edit the selected cell",
    keys: ["Enter"],
    isEdit: true,
    run: ({ store }) => store.setMode("edit"),
  },
  {
    id: "command-mode",
    label: "Leave the editor (command mode)",
    keys: ["Escape"],
    editKeys: ["Escape"],
    run: ({ store }) => {
      store.setMode("command");
      const active = store.getActiveId();
      if (active && store.getSelectedIds().length > 1) store.select(active);
    },
  },
  {
    id: "insert-above",
    label: "Insert cell above",
    keys: ["A"],
    isEdit: true,
    run: ({ store }) => store.insert("above"),
  },
  {
    id: "insert-below",
    label: "Insert cell below",
    keys: ["B"],
    isEdit: true,
    run: ({ store }) => store.insert("below"),
  },
  {
    id: "insert-markdown-below",
    label: "Insert markdown cell below",
    keys: [],
    isEdit: true,
    run: ({ store }) => {
      store.insert("below", store.getActiveId(), "markdown");
      store.setMode("edit");
    },
  },
  {
    id: "delete",
    label: "Delete selected cells",
    keys: ["D D"],
    isEdit: true,
    run: ({ store }) => store.delete(),
  },
  {
    id: "undo-delete",
    label: "Undo cell deletion",
    keys: ["Z"],
    isEdit: true,
    run: ({ store }) => store.undoDelete(),
  },
  {
    id: "to-markdown",
    label: "Change cell to markdown",
    keys: ["M"],
    isEdit: true,
    run: ({ store }) => store.setType(store.getSelectedIds(), "markdown"),
  },
  {
    id: "to-code",
    label: "Change cell to code",
    keys: ["Y"],
    isEdit: true,
    run: ({ store }) => store.setType(store.getSelectedIds(), "code"),
  },
  {
    id: "to-raw",
    label: "Change cell to raw",
    keys: ["R"],
    isEdit: true,
    run: ({ store }) => store.setType(store.getSelectedIds(), "raw"),
  },
  {
    id: "select-below",
    label: "Select cell below",
    keys: ["J", "ArrowDown"],
    run: ({ store }) => store.moveActive(1),
  },
  {
    id: "select-above",
    label: "Select cell above",
    keys: ["K", "ArrowUp"],
    run: ({ store }) => store.moveActive(-1),
  },
  {
    id: "extend-below",
    label: "Extend selection below",
    keys: ["Shift+J", "Shift+ArrowDown"],
    run: ({ store }) => store.moveActive(1, true),
  },
  {
    id: "extend-above",
    label: "Extend selection above",
    keys: ["Shift+K", "Shift+ArrowUp"],
    run: ({ store }) => store.moveActive(-1, true),
  },
  { id: "select-all", label: "Select all cells", keys: ["Ctrl+A"], run: ({ store }) => store.selectAll() },
  {
    id: "move-up",
    label: "Move selected cells up",
    keys: ["Ctrl+Shift+ArrowUp"],
    isEdit: true,
    run: ({ store }) => store.moveSelection(-1),
  },
  {
    id: "move-down",
    label: "Move selected cells down",
    keys: ["Ctrl+Shift+ArrowDown"],
    isEdit: true,
    run: ({ store }) => store.moveSelection(1),
  },
  { id: "copy", label: "Copy selected cells", keys: ["C"], run: ({ store }) => store.copy() },
  { id: "cut", label: "Cut selected cells", keys: ["X"], isEdit: true, run: ({ store }) => store.cut() },
  {
    id: "paste-below",
    label: "Paste cells below",
    keys: ["V"],
    isEdit: true,
    run: ({ store }) => store.paste("below"),
  },
  {
    id: "paste-above",
    label: "Paste cells above",
    keys: ["Shift+V"],
    isEdit: true,
    run: ({ store }) => store.paste("above"),
  },
  {
    id: "save",
    label: "Save the notebook",
    keys: ["Ctrl+S"],
    editKeys: ["Ctrl+S"],
    isEdit: true,
    run: ({ controller }) => void controller.save(),
  },
  {
    id: "find",
    label: "Find and replace in all cells",
    keys: ["Ctrl+F"],
    run: ({ view }) => view.openFind(),
  },
  {
    id: "toc",
    label: "Show or hide the table of contents",
    keys: [],
    run: ({ view }) => view.toggleToc(),
  },
  {
    // JupyterLab's command-mode H, and "?" as many web apps have it. Command mode only, so a "?"
    // typed in an editor stays a character.
    id: "shortcuts",
    label: "Show keyboard shortcuts",
    keys: ["H", "?"],
    run: ({ view }) => view.openShortcuts(),
  },
  {
    id: "palette",
    label: "Open the command palette",
    keys: ["Ctrl+Shift+P"],
    editKeys: ["Ctrl+Shift+P"],
    run: ({ view }) => view.openPalette(),
  },
];

/** The commands a role may use. */
export function availableCommands(store: NotebookStore): TCommand[] {
  return COMMANDS.filter(
    (command) => (!command.isEdit || store.canEdit()) && (!command.isRun || store.canRun()),
  );
}

/**
 * Keys the cell editor handles itself besides the table's edit-mode keys (code-editor.tsx reads
 * the key names from here), for the shortcuts dialog.
 */
export const EDITOR_KEYS = {
  complete: { key: "Tab", label: "Complete the name before the cursor (indents at the start of a line)" },
  inspect: { key: "Shift+Tab", label: "Show help for the name at the cursor" },
  previousCell: { key: "ArrowUp", label: "On the first line: edit the cell above" },
  nextCell: { key: "ArrowDown", label: "On the last line: edit the cell below" },
} as const;

/**
 * A keyboard event as a key name: "Ctrl+Shift+P", "Shift+Enter", "A", "ArrowDown", "?". Shift is
 * left out of symbols it produces ("?", not "Shift+?"), as keyboards differ in which need it.
 */
export function keyName(
  event: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">,
): string {
  const parts: string[] = [];
  // Cmd on macOS does what Ctrl does elsewhere.
  if (event.ctrlKey || event.metaKey) parts.push("Ctrl");
  if (event.altKey) parts.push("Alt");
  const key = event.key === " " ? "Space" : event.key.length === 1 ? event.key.toUpperCase() : event.key;
  const isShiftedSymbol = key.length === 1 && !/[A-Z0-9]/.test(key);
  if (event.shiftKey && !isShiftedSymbol) parts.push("Shift");
  if (!["Control", "Meta", "Alt", "Shift"].includes(key)) parts.push(key);
  return parts.join("+");
}

const DOUBLE_PRESS_MS = 800;

/**
 * Matches key presses to commands, including double presses ("D D"). Keeps the previous press,
 * so create one per notebook view.
 */
export function createKeyMatcher() {
  let previous: { name: string; at: number } | null = null;
  return (name: string, mode: "command" | "edit", commands: TCommand[]): TCommand | null => {
    const now = Date.now();
    const isDouble = previous !== null && previous.name === name && now - previous.at < DOUBLE_PRESS_MS;
    for (const command of commands) {
      const keys = mode === "edit" ? (command.editKeys ?? []) : command.keys;
      if (keys.includes(name)) {
        previous = null;
        return command;
      }
      if (isDouble && keys.includes(`${name} ${name}`)) {
        previous = null;
        return command;
      }
    }
    previous = { name, at: now };
    return null;
  };
}
