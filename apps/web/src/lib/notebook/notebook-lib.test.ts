// Unit tests of the notebook page's pure parts: the output sanitizer (in jsdom), math extraction,
// ANSI parsing, the conflict diff, key names, the store's cell operations and what the page says
// about runs.
import { describePermissions } from "@flint/api/contract";
import { createEmptyNotebook, insertCell, type TNotebook, type TOutput } from "@flint/notebook";
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { parseAnsi, stripAnsi } from "./ansi";
import { diffLines, diffNotebookCells } from "./cell-diff";
import { COMMANDS, createKeyMatcher, keyName } from "./commands";
import { extractMath } from "./markdown";
import type { TRunStop } from "./protocol";
import { describeExecution, describeRunStop, summarizeError } from "./run-report";
import { createSanitizer } from "./sanitize";
import { NotebookStore } from "./store";

const { window } = new JSDOM("<!doctype html><html><body></body></html>");
const sanitizer = createSanitizer(window as unknown as Parameters<typeof createSanitizer>[0]);
const clean = (html: string) => sanitizer.sanitizeToString(html);

describe("output sanitizer", () => {
  it("removes scripts, handlers, forms and frames (cases 1-3)", () => {
    const out = clean(
      '<script>fetch(\'/api/projects\')</script><img src=x onerror=alert(1)><form action="javascript:alert(1)"><button formaction="javascript:alert(2)">b</button></form><iframe src=x></iframe><p>ok</p>',
    );
    expect(out).not.toMatch(/script|onerror|<form|formaction|iframe|src="x"/i);
    expect(out).toContain("<p>ok</p>");
  });

  it("is stable under mutation XSS: sanitizing twice changes nothing (case 2)", () => {
    for (const input of [
      "<select><iframe></select><img src=x: onerror=alert(1)>",
      "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
      '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
      '<a href="https://example.com" style="color:red;position:fixed" class="fixed dataframe" id="x" name="y" data-action="z">l</a>',
    ]) {
      const once = clean(input);
      expect(once).not.toMatch(/onerror|<svg|<math|<style/i);
      expect(clean(once)).toBe(once);
    }
  });

  it("strips ids, names and data attributes, keeps safe classes and styles (cases 4, 5, 10)", () => {
    const out = clean(
      '<a id="__NEXT_DATA__" name="getElementById" data-action="delete-project" class="fixed inset-0 dataframe" style="position:fixed;inset:0;color:red">x</a><style>*{background:red}</style>',
    );
    expect(out).not.toMatch(/ id=| name=|data-action|fixed|inset|<style/);
    expect(out).toContain('class="dataframe"');
    expect(out).toContain("color: red");
  });

  it("drops dangerous link schemes and marks external links (case 8)", () => {
    for (const href of [
      "javascript:alert(1)",
      " JaVaScRiPt:alert(1)",
      "data:text/html,x",
      "vbscript:msgbox(1)",
      "jav&#x09;ascript:alert(1)",
    ]) {
      expect(clean(`<a href="${href}">x</a>`)).not.toContain("href");
    }
    expect(clean('<a href="https://example.com">x</a>')).toContain('rel="noopener noreferrer nofollow"');
  });

  it("allows only data and absolute image sources", () => {
    expect(clean('<img src="/api/projects">')).not.toContain("src");
    expect(clean('<img src="data:image/png;base64,AAAA">')).toContain("src=");
    expect(clean('<img src="data:image/svg+xml,<svg onload=alert(1)>">')).not.toContain("src");
  });
});

describe("markdown math", () => {
  it("cuts math out of text but not out of code", () => {
    const { text, math } = extractMath("a $x_1$ b $$\\frac{1}{2}$$ `$not$`\n```\n$no$\n```\n\\$5 and $ 3");
    expect(math.map((entry) => entry.tex)).toEqual(["x_1", "\\frac{1}{2}"]);
    expect(text).toContain("`$not$`");
    expect(text).toContain("$no$");
  });
});

describe("ANSI", () => {
  it("parses colours and resets", () => {
    const segments = parseAnsi("\u001b[31mred\u001b[0m plain \u001b[1;38;5;21mbold blue");
    expect(segments.map((segment) => segment.text)).toEqual(["red", " plain ", "bold blue"]);
    expect(segments[0]!.style.fg).toBe("var(--nb-ansi-1)");
    expect(segments[1]!.style).toEqual({});
    expect(segments[2]!.style.isBold).toBe(true);
    expect(stripAnsi("\u001b[31mred\u001b[0m")).toBe("red");
  });
});

describe("conflict diff", () => {
  it("finds added, removed and changed cells and their lines", () => {
    const theirs = [
      { id: "a", cell_type: "code", source: "x = 1\ny = 2" },
      { id: "b", cell_type: "code", source: "gone" },
    ];
    const mine = [
      { id: "a", cell_type: "code", source: "x = 1\ny = 3" },
      { id: "c", cell_type: "markdown", source: "# new" },
    ];
    const diff = diffNotebookCells(theirs, mine);
    expect(diff.map((entry) => `${entry.kind}:${entry.id}`)).toEqual(["changed:a", "removed:b", "added:c"]);
    expect(diffLines("x = 1\ny = 2", "x = 1\ny = 3").map((line) => line.kind)).toEqual([
      "same",
      "removed",
      "added",
    ]);
  });

  it("diffs long sources line by line: one edited line of 3,000 is one removed and one added line", () => {
    const before = Array.from({ length: 3000 }, (_, i) => `row_${i} = ${i}`).join("\n");
    const after = before.replace("row_1500 = 1500", "row_1500 = -1");
    const changed = diffLines(before, after).filter((line) => line.kind !== "same");
    expect(changed).toEqual([
      { kind: "removed", text: "row_1500 = 1500" },
      { kind: "added", text: "row_1500 = -1" },
    ]);
  });
});

describe("keys", () => {
  it("gives every key of the table to one command only", () => {
    const owners = new Map<string, string>();
    for (const command of COMMANDS)
      for (const key of command.keys) {
        expect(owners.get(key), `${key}: ${command.id}`).toBeUndefined();
        owners.set(key, command.id);
      }
  });

  it("names keys the way the command table does and matches double presses", () => {
    const press = (key: string, mods: Partial<KeyboardEvent> = {}) =>
      keyName({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
    expect(press("Enter", { shiftKey: true })).toBe("Shift+Enter");
    expect(press("p", { ctrlKey: true, shiftKey: true })).toBe("Ctrl+Shift+P");
    expect(press("s", { metaKey: true })).toBe("Ctrl+S");
    // A symbol names itself: "?" whether or not the layout needs Shift for it.
    expect(press("?", { shiftKey: true })).toBe("?");
    expect(press("v", { shiftKey: true })).toBe("Shift+V");
    const match = createKeyMatcher();
    expect(match("?", "command", COMMANDS)?.id).toBe("shortcuts");
    expect(match("D", "command", COMMANDS)).toBeNull();
    expect(match("D", "command", COMMANDS)?.id).toBe("delete");
    expect(match("A", "command", COMMANDS)?.id).toBe("insert-above");
  });
});

describe("store", () => {
  const make = (): NotebookStore => {
    let notebook: TNotebook = createEmptyNotebook();
    notebook = insertCell(notebook, 1, { id: "second", source: "b" });
    return new NotebookStore(notebook, {
      name: "n",
      version: 1,
      permissions: describePermissions("editor"),
      kernelStatus: "unknown",
      connection: "open",
    });
  };

  it("notifies only the edited cell and marks the notebook dirty", () => {
    const store = make();
    const [first, second] = store.getCellIds();
    let firstCalls = 0;
    let secondCalls = 0;
    store.subscribeCell(first!, () => firstCalls++);
    store.subscribeCell(second!, () => secondCalls++);
    store.setSource(second!, "b2");
    expect(secondCalls).toBe(1);
    expect(firstCalls).toBe(0);
    expect(store.isDirty()).toBe(true);
    expect(store.getMeta().saveState).toBe("unsaved");
    store.markSaved(store.getEditCount(), 2);
    expect(store.isDirty()).toBe(false);
  });

  it("inserts, deletes and undoes a delete in place", () => {
    const store = make();
    store.select("second");
    const inserted = store.insert("above")!;
    expect(store.getCellIds()[1]).toBe(inserted);
    store.delete([inserted]);
    expect(store.getCellIds()).toHaveLength(2);
    store.undoDelete();
    expect(store.getCellIds()[1]).toBe(inserted);
    store.selectRange(store.getCellIds()[0]!, "second");
    store.moveSelection(-1);
    expect(store.getCellIds()).toHaveLength(3);
  });

  it("keeps viewers from editing", () => {
    const store = new NotebookStore(createEmptyNotebook(), {
      name: "n",
      version: 1,
      permissions: describePermissions("viewer"),
      kernelStatus: "unknown",
      connection: "open",
    });
    const [id] = store.getCellIds();
    store.setSource(id!, "changed");
    expect(store.getCell(id!)?.source).toBe("");
    expect(store.getMeta().saveState).toBe("readonly");
  });
});

describe("run reports", () => {
  const error = (ename: string, evalue: string): TOutput => ({
    output_type: "error",
    ename,
    evalue,
    traceback: [`${ename}: ${evalue}`],
  });
  const stop = (over: Partial<TRunStop> = {}): TRunStop => ({
    cellId: "b",
    status: "error",
    cancelledCellIds: ["c", "d"],
    stoppedAt: "2026-03-02T14:02:03.000Z",
    ...over,
  });
  const ids = ["intro", "a", "b", "c", "d"];

  it("names the cell that stopped a run by its place, with the error's first line", () => {
    const outputs = (id: string) =>
      id === "b"
        ? [
            { output_type: "stream" as const, name: "stdout" as const, text: "x\n" },
            error("ValueError", "bad value\nmore"),
          ]
        : [];
    expect(describeRunStop(stop(), ids, outputs)).toEqual({
      cellId: "b",
      cellLabel: "cell 3",
      title: "Run stopped at cell 3",
      reason: "ValueError: bad value",
      notRun: "2 cells after it were not run.",
    });
  });

  it("says how a run was interrupted or lost its kernel, and counts only cells still there", () => {
    const none = () => [];
    expect(
      describeRunStop(stop({ status: "interrupted", cancelledCellIds: ["c", "gone"] }), ids, none),
    ).toMatchObject({ reason: "it was interrupted", notRun: "1 cell after it was not run." });
    expect(describeRunStop(stop({ status: "died" }), ids, none).reason).toBe("the kernel died while it ran");
    expect(describeRunStop(stop({ status: "error" }), ids, none).reason).toBe("it failed");
    expect(describeRunStop(stop({ cellId: "deleted" }), ids, none)).toMatchObject({
      cellId: null,
      title: "Run stopped at a cell deleted since",
    });
    expect(describeRunStop(stop({ cellId: null, status: "interrupted" }), ids, none)).toMatchObject({
      cellId: null,
      title: "Run stopped",
      notRun: "2 cells were not run.",
    });
  });

  it("summarizes long and empty error messages", () => {
    expect(summarizeError([error("KeyboardInterrupt", "")])).toBe("KeyboardInterrupt");
    const long = summarizeError([error("E", "x".repeat(500))])!;
    expect(long).toHaveLength(160);
    expect(long.endsWith("…")).toBe(true);
    expect(summarizeError([])).toBeNull();
  });

  it("says how long a run took, who ran it and when", () => {
    const options = { locale: "en-GB", timeZone: "UTC", now: new Date("2026-03-02T18:00:00Z") };
    const run = {
      startedAt: "2026-03-02T14:02:00.000Z",
      endedAt: "2026-03-02T14:02:02.100Z",
      ranBy: { id: "u1", name: "Ada" },
    };
    expect(describeExecution(run, options).text).toBe("Took 2.1 s, by Ada at 14:02");
    expect(describeExecution(run, options).title).toContain("2 Mar 2026");
    expect(describeExecution({ ...run, ranBy: null }, options).text).toBe("Took 2.1 s at 14:02");
    expect(describeExecution(run, { ...options, now: new Date("2026-03-05T09:00:00Z") }).text).toBe(
      "Took 2.1 s, by Ada on 2 Mar at 14:02",
    );
    expect(describeExecution(run, { ...options, now: new Date("2027-01-05T09:00:00Z") }).text).toBe(
      "Took 2.1 s, by Ada on 2 Mar 2026 at 14:02",
    );
    expect(describeExecution({ ...run, endedAt: null }, options).text).toBe("Started at 14:02, by Ada");
  });
});
