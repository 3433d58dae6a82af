// The script the benchmark injects into every page before the page's own code runs. It stamps,
// with performance.now() (milliseconds since the navigation started), what the user sees:
//  - firstCell: the first frame in which the first cell's content (code text or rendered
//    markdown) is on screen and nothing covers it (elementFromPoint lands in the cell; JupyterLab's
//    splash counts as gone once it starts fading out);
//  - allCells: the first frame in which the page holds as many cell elements as the notebook has;
//  - editorFocus: the focusin of the target cell's editor (Monaco / CodeMirror) after the bench
//    scrolled to it and clicked it;
//  - keystrokes: keydown timestamp -> the first animation frame after the MutationObserver callback
//    that sees the typed character in the editor's rendered lines (the frame that paints it);
//  - run moments (interaction.ts): the keydown (Ctrl+Enter, Shift+Enter) or pointerdown (▶)
//    timestamp -> the first animation frame after the cell's DOM holds the new result `'RUN-<n+1>'`.
// It is a plain-JavaScript string, not a function: tsx's name helpers would not survive
// Playwright's serialization, and the same code must run unchanged in both apps.

/** Which app a page belongs to and how many cells its notebook has. */
export type TProbeConfig = { app: "flint" | "jupyterlab"; cellCount: number };

/** A run's command on the socket (Flint's `run`, JupyterLab's `execute_request`) and its result. */
export const RUN_FRAMES = {
  sent: { flint: /"type":"run"/, jupyterlab: /execute_request/ },
  result: /RUN-\d+/,
} as const;

/** The stamps and helpers the probe leaves on `window.__bench`. */
export type TProbe = {
  marks: { firstCell?: number; allCells?: number; editorFocus?: number };
  /**
   * Scrolls until the cell at `index` is on screen, still and uncovered; returns where to click
   * its editor.
   */
  scrollTo: (index: number) => Promise<{ x: number; y: number }>;
  /** Prepares the measurement of one keystroke of `key` in the focused editor. */
  armKeystroke: (key: string) => void;
  /** Milliseconds from the armed keystroke's keydown to its character in the DOM. */
  keystroke: Promise<number> | null;
  /**
   * Prepares the measurement of one run of the cell at `index`, whose output reads `'RUN-<n>'`:
   * from the next keydown or pointerdown to the frame that shows `'RUN-<n+1>'`.
   */
  armRun: (index: number) => void;
  /**
   * Prepares the measurement of the first keystroke of `key` in the cell at `index` before it is
   * clicked (its editor may not exist yet): keydown -> the frame whose editor lines hold `key`.
   * Meant for cells whose source has no `key`.
   */
  armFirstKeystroke: (index: number, key: string) => void;
  /**
   * The armed run's way through the page: keydown (or pointerdown), the command on the socket
   * (Flint's `run`, JupyterLab's `execute_request`), the first message carrying the result
   * (`RUN-<n>`: Flint's `outputs` event, JupyterLab's `execute_result`), the frame that shows it; ms since navigation.
   */
  runStamps: { down: number; sent?: number; received?: number; shown?: number } | null;
  /** Milliseconds from the armed run's keydown or pointerdown to its result on screen. */
  run: Promise<number> | null;
  /** Where the page's time went (Navigation and Resource Timing, long tasks). */
  timings: () => TPageTimings;
};

/** Where a page's load time went, from the browser's own timing entries. */
export type TPageTimings = {
  /** First byte of the HTML. */
  responseStart: number;
  domContentLoaded: number;
  /** Scripts requested before the first cell was visible: how many, and their decoded bytes. */
  scripts: number;
  scriptBytes: number;
  /** The request for the notebook's content: start, end, and size once decoded. */
  notebookFetchStart: number;
  notebookFetchEnd: number;
  notebookBytes: number;
  /** Main-thread tasks over 50 ms before the target cell's editor had focus: total and longest. */
  longTasksMs: number;
  longestTaskMs: number;
};

const PROBE = String.raw`(() => {
  const config = __CONFIG__;
  const isFlint = config.app === "flint";
  const cells = document.getElementsByClassName(isFlint ? "nb-cell" : "jp-Cell");
  const contentSelector = isFlint ? ".nb-body" : ".cm-content, .jp-RenderedMarkdown, .jp-MarkdownOutput";
  const editorSelector = isFlint ? ".monaco-editor" : ".cm-editor";
  const marks = {};
  const longTasks = [];
  const state = { marks, keystroke: null, run: null, runStamps: null, target: null };
  // Socket stamps for the run breakdown: sends and receives, with the text that tells what they are.
  const socketLog = [];
  const textOf = (data) => {
    if (typeof data === "string") return data.slice(0, 600);
    try {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer) : null;
      return bytes ? new TextDecoder().decode(bytes.slice(0, 600)) : "";
    } catch { return ""; }
  };
  // The frame that paints a DOM change. A change made outside an animation frame (CodeMirror
  // edits the DOM in the input event; React commits in a task) is painted by the next frame: its
  // time is the next animation frame callback's. A change made inside one (Monaco renders typed
  // text in requestAnimationFrame; Lumino runs widget updates there) is painted by the current
  // frame: a callback requested then would run a frame later and charge that app 16.7 ms it did
  // not take. Every animation frame callback marks "in a frame" while it runs and clears the mark
  // in a microtask queued after it: a MutationObserver notes a change made by the callback in a
  // microtask queued earlier, so it sees the mark, and nothing that runs after the frame can. (A
  // change made in a microtask of the callback is stamped a frame late: never early.)
  let isInFrame = false;
  const nativeRequestFrame = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (callback) =>
    nativeRequestFrame((time) => {
      isInFrame = true;
      try {
        return callback(time);
      } finally {
        queueMicrotask(() => {
          isInFrame = false;
        });
      }
    });
  const whenPainted = (then) => {
    if (isInFrame) then(performance.now());
    else nativeRequestFrame(() => then(performance.now()));
  };
  const NativeSocket = window.WebSocket;
  const nativeSend = NativeSocket.prototype.send;
  NativeSocket.prototype.send = function (data) {
    socketLog.push(["send", performance.now(), textOf(data)]);
    return nativeSend.call(this, data);
  };
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => socketLog.push(["recv", performance.now(), textOf(event.data)]));
    }
  };
  const sentPattern = new RegExp(config.sentPattern);
  const resultPattern = new RegExp(config.resultPattern);
  window.__bench = state;
  performance.setResourceTimingBufferSize(5000);
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch {}

  // A rendered markdown cell in JupyterLab also holds its hidden source editor: any shown part counts.
  const isOnScreen = (cell) => {
    for (const content of cell.querySelectorAll(contentSelector)) {
      if (!(content.textContent || "").trim() && !content.querySelector("img")) continue;
      const box = content.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || box.top >= innerHeight || box.bottom <= 0) continue;
      const x = box.left + Math.min(box.width / 2, 40);
      const y = Math.max(box.top, 0) + Math.min(box.height, innerHeight - Math.max(box.top, 0)) / 2;
      const hit = document.elementFromPoint(x, y);
      if (hit && (cell.contains(hit) || hit.closest(".splash-fade"))) return true;
    }
    return false;
  };
  const started = performance.now();
  const tick = () => {
    const now = performance.now();
    if (marks.firstCell === undefined && cells.length > 0 && isOnScreen(cells[0])) marks.firstCell = now;
    if (marks.allCells === undefined && cells.length >= config.cellCount) marks.allCells = now;
    const isDone = marks.firstCell !== undefined && marks.allCells !== undefined;
    if (!isDone && now - started < 300000) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  document.addEventListener("focusin", (event) => {
    const target = event.target;
    if (!state.target || marks.editorFocus !== undefined || !(target instanceof Element)) return;
    if (state.target.contains(target) && target.closest(editorSelector)) marks.editorFocus = performance.now();
  }, true);

  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)));
  state.scrollTo = async (index) => {
    let cell = null;
    let lastTop = null;
    let stillFrames = 0;
    for (let frame = 0; frame < 600; frame++) {
      if (!cell || !cell.isConnected) {
        cell = isFlint
          ? document.querySelectorAll(".nb-cell")[index]
          : document.querySelector('.jp-Notebook .jp-Cell[data-windowed-list-index="' + index + '"]') ||
            (cells.length >= config.cellCount ? document.querySelectorAll(".jp-Notebook .jp-Cell")[index] : null);
      }
      if (!cell) {
        // JupyterLab's windowed list creates far cells only when scrolled near them.
        const scroller = document.querySelector(".jp-WindowedPanel-outer");
        if (scroller) scroller.scrollTop = scroller.scrollHeight;
        await nextFrame();
        continue;
      }
      cell.scrollIntoView({ block: "center" });
      await nextFrame();
      const area = cell.querySelector(isFlint ? ".nb-source" : ".jp-InputArea-editor");
      if (!area) continue;
      const box = area.getBoundingClientRect();
      stillFrames = lastTop !== null && Math.abs(box.top - lastTop) < 1 ? stillFrames + 1 : 0;
      lastTop = box.top;
      const x = box.left + Math.min(40, box.width / 2);
      const y = box.top + Math.min(12, box.height / 2);
      // Still for a few frames (late image decodes and content-visibility sizes move cells) and
      // not under a sticky toolbar: the click lands where it is aimed.
      const hit = box.height > 0 && y > 0 && y < innerHeight ? document.elementFromPoint(x, y) : null;
      if (stillFrames >= 3 && hit && area.contains(hit)) {
        state.target = cell;
        return { x, y };
      }
    }
    throw new Error("cell " + index + " did not come to rest on screen");
  };

  state.armKeystroke = (key) => {
    const active = document.activeElement;
    const editor = active && active.closest(editorSelector);
    if (!editor) throw new Error("no cell editor has focus");
    const lines = editor.querySelector(isFlint ? ".view-lines" : ".cm-content");
    const count = () => (lines.textContent || "").split(key).length - 1;
    const before = count();
    let downAt = null;
    const onKeyDown = (event) => {
      if (event.key === key && downAt === null) downAt = event.timeStamp;
    };
    window.addEventListener("keydown", onKeyDown, true);
    state.keystroke = new Promise((resolve, reject) => {
      const observer = new MutationObserver(() => {
        if (count() <= before) return;
        observer.disconnect();
        whenPainted((shownAt) => {
          window.removeEventListener("keydown", onKeyDown, true);
          if (downAt === null) reject(new Error("the character appeared without a keydown"));
          else resolve(shownAt - downAt);
        });
      });
      observer.observe(lines, { subtree: true, childList: true, characterData: true });
      setTimeout(() => {
        observer.disconnect();
        reject(new Error("the typed character did not appear within 5 s"));
      }, 5000);
    });
  };

  state.armFirstKeystroke = (index, key) => {
    const cell = cellAt(index);
    if (!cell) throw new Error("no cell " + index);
    let downAt = null;
    const onKeyDown = (event) => {
      if (event.key === key && downAt === null) downAt = event.timeStamp;
    };
    window.addEventListener("keydown", onKeyDown, true);
    const hasKey = () => {
      const lines = cell.querySelector(isFlint ? ".monaco-editor .view-lines" : ".cm-content");
      return lines !== null && (lines.textContent || "").includes(key);
    };
    if (hasKey()) throw new Error("cell " + index + " already holds " + key);
    state.keystroke = new Promise((resolve, reject) => {
      const observer = new MutationObserver(() => {
        if (!hasKey()) return;
        observer.disconnect();
        whenPainted((shownAt) => {
          window.removeEventListener("keydown", onKeyDown, true);
          if (downAt === null) reject(new Error("the character appeared without a keydown"));
          else resolve(shownAt - downAt);
        });
      });
      observer.observe(cell, { subtree: true, childList: true, characterData: true });
      setTimeout(() => {
        observer.disconnect();
        reject(new Error("the typed character did not appear within 5 s"));
      }, 5000);
    });
  };

  const cellAt = (index) =>
    (isFlint ? document.querySelectorAll(".nb-cell") : document.querySelectorAll(".jp-Notebook .jp-Cell"))[index];
  state.armRun = (index) => {
    const cell = cellAt(index);
    if (!cell) throw new Error("no cell " + index);
    const found = /RUN-(\d+)'/.exec(cell.textContent || "");
    const expected = "RUN-" + (found ? Number(found[1]) + 1 : 1) + "'";
    let downAt = null;
    const logFrom = socketLog.length;
    const onDown = (event) => {
      if (downAt === null && (event.type === "pointerdown" || event.key === "Enter")) downAt = event.timeStamp;
    };
    window.addEventListener("keydown", onDown, true);
    window.addEventListener("pointerdown", onDown, true);
    state.run = new Promise((resolve, reject) => {
      const done = () => {
        window.removeEventListener("keydown", onDown, true);
        window.removeEventListener("pointerdown", onDown, true);
      };
      const observer = new MutationObserver(() => {
        if (!(cell.textContent || "").includes(expected)) return;
        observer.disconnect();
        whenPainted((shownAt) => {
          done();
          const log = socketLog.slice(logFrom);
          const sent = log.find(([kind, , text]) => kind === "send" && sentPattern.test(text));
          const received = log.find(
            ([kind, at, text]) => kind === "recv" && sent && at >= sent[1] && resultPattern.test(text),
          );
          state.runStamps = { down: downAt, sent: sent?.[1], received: received?.[1], shown: shownAt };
          if (downAt === null) reject(new Error("the result appeared without a key or click"));
          else resolve(shownAt - downAt);
        });
      });
      observer.observe(cell, { subtree: true, childList: true, characterData: true });
      setTimeout(() => {
        observer.disconnect();
        done();
        reject(new Error(expected + " did not appear within 60 s"));
      }, 60000);
    });
  };

  state.timings = () => {
    const navigation = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource");
    const until = marks.editorFocus ?? performance.now();
    const scripts = resources.filter((entry) => entry.initiatorType === "script" && entry.startTime < (marks.firstCell ?? until));
    const notebook = resources
      .filter((entry) => isFlint
        ? /\/api\/v1\/notebooks\/[^/?]+$/.test(new URL(entry.name).pathname)
        : /\/api\/contents\/.+\.ipynb$/.test(new URL(entry.name).pathname))
      .sort((a, b) => b.decodedBodySize - a.decodedBodySize)[0];
    const tasks = longTasks.filter(([start]) => start < until);
    return {
      responseStart: navigation ? navigation.responseStart : NaN,
      domContentLoaded: navigation ? navigation.domContentLoadedEventEnd : NaN,
      scripts: scripts.length,
      scriptBytes: scripts.reduce((sum, entry) => sum + entry.decodedBodySize, 0),
      notebookFetchStart: notebook ? notebook.startTime : NaN,
      notebookFetchEnd: notebook ? notebook.responseEnd : NaN,
      notebookBytes: notebook ? notebook.decodedBodySize : NaN,
      longTasksMs: tasks.reduce((sum, [, duration]) => sum + duration, 0),
      longestTaskMs: Math.max(0, ...tasks.map(([, duration]) => duration)),
    };
  };
})();`;

/** The probe's source for one page. */
export function probeScript(config: TProbeConfig): string {
  const patterns = {
    sentPattern: RUN_FRAMES.sent[config.app].source,
    resultPattern: RUN_FRAMES.result.source,
  };
  return PROBE.replace("__CONFIG__", JSON.stringify({ ...config, ...patterns }));
}
