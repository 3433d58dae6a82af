// Saved outputs are somebody else's content: opening a notebook with malicious outputs must run
// nothing, request nothing, clobber nothing and cover nothing (SECURITY.md cases 1-6, 8-10).
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { createNotebook, type TTestCell } from "./notebook-fixtures";

const PNG_1PX =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const display = (data: Record<string, unknown>) => ({ output_type: "display_data", data, metadata: {} });

const MALICIOUS_CELLS: TTestCell[] = [
  {
    cell_type: "code",
    source: "# case 1",
    outputs: [
      display({
        "text/html":
          "<script>fetch('/api/projects')</script><img src=x onerror=alert(1)><p>case one html</p>",
        "text/plain": "<HTML>",
      }),
      display({
        "application/javascript": "alert('js'); fetch('/api/projects')",
        "text/plain": "<JS fallback>",
      }),
    ],
  },
  {
    cell_type: "code",
    source: "# case 2",
    outputs: [
      display({ "text/html": "<select><iframe></select><img src=x: onerror=alert(1)><p>case two</p>" }),
    ],
  },
  {
    cell_type: "code",
    source: "# case 3",
    outputs: [
      display({
        "text/html":
          '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">Go form</button><input type="submit" value="Send"></form><p>case three</p>',
      }),
    ],
  },
  {
    cell_type: "markdown",
    source:
      '<a id="__NEXT_DATA__" href="#x">clobber</a> <img name="getElementById" src="x"> <form name="body"></form>',
  },
  {
    cell_type: "code",
    source: "# case 4 and 5",
    outputs: [
      display({
        "text/markdown": '<a id="getElementById">md clobber</a><img name="cookie" src="x">',
      }),
      display({
        "text/html":
          '<button data-action="delete-project">Delete project</button><a data-action="delete-project" href="#">Delete it</a><div data-cell-id="x" data-testid="save-state">fake</div>',
      }),
    ],
  },
  {
    cell_type: "code",
    source: "# case 6",
    outputs: [
      display({
        "image/svg+xml":
          '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" width="10" height="10"><script>alert(2)</script><foreignObject><iframe src="javascript:alert(3)"></iframe></foreignObject><rect width="10" height="10"/></svg>',
      }),
      display({ "text/html": '<svg onload="alert(4)"><script>alert(5)</script></svg><p>inline svg</p>' }),
      display({ "image/png": PNG_1PX }),
    ],
  },
  {
    cell_type: "markdown",
    source: [
      "[js](javascript:alert(1))",
      "[spaced]( JaVaScRiPt:alert(1))",
      "[data](data:text/html,<script>alert(1)</script>)",
      "[vb](vbscript:msgbox(1))",
      "[ok](https://example.com/page)",
      '<a href="jav&#x09;ascript:alert(1)">entity</a>',
    ].join("\n\n"),
  },
  { cell_type: "markdown", source: "# <img src=x onerror=alert(1)> Heading" },
  {
    cell_type: "code",
    source: "# case 10",
    outputs: [
      display({
        "text/html":
          '<style>*{background:red !important}</style><div style="position:fixed;inset:0;background:red;z-index:99999">cover</div><div class="fixed inset-0 z-50 bg-red-500">cover too</div><p style="color: rgb(1, 2, 3)">styled</p>',
      }),
    ],
  },
];

async function watchForHarm(page: Page) {
  const dialogs: string[] = [];
  const appRequests: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (
      url.pathname.startsWith("/api/projects") ||
      url.pathname.endsWith("/x") ||
      url.pathname.endsWith("/x:")
    ) {
      appRequests.push(url.pathname);
    }
  });
  return { dialogs, appRequests };
}

test("malicious saved outputs are inert (SECURITY.md cases 1-6, 8-10)", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, '"><svg onload=alert(1)> outputs', MALICIOUS_CELLS);
  const harm = await watchForHarm(page);
  await page.goto(path);
  const list = page.getByRole("list", { name: "Cells" });
  await expect(list.getByText("case one html")).toBeVisible();
  await expect(list.getByText("case three")).toBeVisible();
  await expect(list.getByText("styled")).toBeVisible();
  // Give any injected script or image error handler a moment to fire.
  await page.waitForTimeout(1500);

  expect(harm.dialogs).toEqual([]);
  expect(harm.appRequests).toEqual([]);

  // Case 9: the notebook name is shown as text.
  await expect(page.getByRole("heading", { level: 1 }).first()).toContainText(
    '"><svg onload=alert(1)> outputs',
  );

  // Case 1: JavaScript shows a placeholder and its text fallback.
  await expect(list.getByText(/JavaScript output is not run/)).toBeVisible();
  await expect(list.getByText("<JS fallback>")).toBeVisible();

  const outputs = page.locator(".nb-output-box, .nb-cell .nb-markdown");
  const audit = await outputs.evaluateAll((boxes) => {
    const all = boxes.flatMap((box) => Array.from(box.querySelectorAll("*")));
    const attrs = all.flatMap((element) => Array.from(element.attributes).map((attr) => attr.name));
    return {
      forbiddenTags: all
        .map((element) => element.tagName.toLowerCase())
        .filter((tag) =>
          ["script", "iframe", "form", "input", "style", "object", "embed", "foreignobject"].includes(tag),
        ),
      inlineSvg: all.filter(
        (element) => element.tagName.toLowerCase() === "svg" && !element.closest(".katex"),
      ).length,
      handlers: attrs.filter((name) => name.startsWith("on")),
      dataAttrs: attrs.filter((name) => name.startsWith("data-")),
      idsAndNames: attrs.filter((name) => name === "id" || name === "name" || name === "formaction"),
      hrefs: all
        .filter((element) => element.hasAttribute("href"))
        .map((element) => element.getAttribute("href")),
      externalRels: all
        .filter((element) => element.getAttribute("href")?.startsWith("https://"))
        .map((element) => element.getAttribute("rel")),
      images: all
        .filter((element) => element.tagName === "IMG")
        .map((element) => (element.getAttribute("src") ?? "").slice(0, 22)),
    };
  });
  expect(audit.forbiddenTags).toEqual([]);
  expect(audit.inlineSvg).toBe(0);
  expect(audit.handlers).toEqual([]);
  expect(audit.dataAttrs).toEqual([]);
  expect(audit.idsAndNames).toEqual([]);
  // Case 8: dangerous link targets are dropped; the external one opens safely.
  for (const href of audit.hrefs) expect(href).not.toMatch(/^\s*(javascript|data|vbscript):|ascript/i);
  expect(audit.hrefs).toContain("https://example.com/page");
  expect(audit.externalRels).toEqual(["noopener noreferrer nofollow"]);
  // Case 6: SVG only as an image, and no relative image URLs.
  expect(audit.images).toContain("data:image/svg+xml;cha");
  expect(audit.images).toContain("data:image/png;base64,");
  expect(audit.images.filter((src) => src !== "" && !src.startsWith("data:image/"))).toEqual([]);

  // Case 4: the page's globals are untouched.
  const globals = await page.evaluate(() => ({
    getElementById: document.getElementById === Document.prototype.getElementById,
    nextData: (window as unknown as Record<string, unknown>).__NEXT_DATA__ instanceof Element,
    cookieIsString: typeof document.cookie === "string",
    bodyIsBody: document.body instanceof HTMLBodyElement,
  }));
  expect(globals).toEqual({ getElementById: true, nextData: false, cookieIsString: true, bodyIsBody: true });

  // Case 3 and 5: clicking the stripped form button and the data-action link does nothing.
  await list.getByText("Go form").click();
  await list.getByText("Delete it").click();
  await expect(page).toHaveURL(new RegExp(`${path}(#.*)?$`));
  await expect(page.getByTestId("save-state")).toHaveCount(1);

  // Case 10: nothing covers the app and no style leaked out of the output box.
  const cover = await page.evaluate(() => {
    const header = document.querySelector('[role="toolbar"][aria-label="Notebook actions"]')!;
    const box = header.getBoundingClientRect();
    const top = document.elementFromPoint(box.left + 10, box.top + box.height / 2);
    return {
      isToolbarOnTop: Boolean(top && header.contains(top)),
      bodyBackground: getComputedStyle(document.body).backgroundColor,
    };
  });
  expect(cover.isToolbarOnTop).toBe(true);
  expect(cover.bodyBackground).not.toBe("rgb(255, 0, 0)");
  await expect(list.getByText("styled")).toHaveCSS("color", "rgb(1, 2, 3)");

  // Case 9: the outline shows the heading as text.
  await page.getByRole("button", { name: "Contents" }).click();
  const toc = page.getByRole("navigation", { name: "Table of contents" });
  await expect(toc.getByRole("button", { name: "Heading" })).toBeVisible();
  await expect(toc.locator("img")).toHaveCount(0);

  expect(harm.dialogs).toEqual([]);
  expect(harm.appRequests).toEqual([]);
});

test("outputs render by MIME type: streams, errors, tables, JSON, LaTeX, progress, truncation", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Rich outputs", [
    {
      cell_type: "code",
      source: "print('progress')",
      execution_count: 3,
      outputs: [
        { output_type: "stream", name: "stdout", text: "10%\r50%\r100%\nline two\n" },
        { output_type: "stream", name: "stdout", text: "\u001b[31mred text\u001b[0m\n" },
        { output_type: "stream", name: "stderr", text: "output truncated: 3.4 MB more\n" },
      ],
    },
    {
      cell_type: "code",
      source: "1/0",
      outputs: [
        {
          output_type: "error",
          ename: "ZeroDivisionError",
          evalue: "division by zero",
          traceback: ["\u001b[0;31mZeroDivisionError\u001b[0m: division by zero"],
        },
      ],
    },
    {
      cell_type: "code",
      source: "df",
      outputs: [
        {
          output_type: "execute_result",
          execution_count: 4,
          metadata: {},
          data: {
            "application/vnd.flint.table+json": {
              columns: [
                { name: "id", type: "bigint" },
                { name: "name", type: "string" },
              ],
              rows: [
                [1, "one"],
                [2, null],
              ],
              totalRows: 10,
              truncated: true,
            },
            "text/html": "<table><tr><td>html fallback</td></tr></table>",
            "text/plain": "plain fallback",
          },
        },
      ],
    },
    {
      cell_type: "code",
      source: "x",
      outputs: [
        display({ "application/json": { answer: 42, nested: { list: [1, 2] } } }),
        display({ "text/latex": "$$\\frac{a}{b}$$" }),
        display({
          "application/vnd.vegalite.v5+json": {
            mark: "bar",
            data: {
              values: [
                { a: "x", b: 3 },
                { a: "y", b: 5 },
              ],
            },
            encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" } },
          },
          "text/plain": "<VegaLite 5 object>",
        }),
        display({ "application/x-unknown": "??", "text/plain": "unknown fallback" }),
        display({
          "application/vnd.flint.spark-progress+json": {
            jobs: [
              {
                jobId: 7,
                status: "RUNNING",
                numTasks: 100,
                numCompletedTasks: 42,
                numActiveTasks: 8,
                numFailedTasks: 0,
                stages: { total: 2, completed: 1, active: 1, failed: 0, skipped: 0 },
              },
            ],
            done: false,
          },
          "text/plain": "Spark: job 7 42/100 tasks",
        }),
        display({
          "application/vnd.flint.spark-start+json": { state: "ready", master: "local[*]", elapsedS: 18.4 },
          "text/plain": "Spark started in 18.4 s (local[*]).",
        }),
        display({
          "application/vnd.flint.spark-start+json": {
            state: "starting",
            master: "spark://a:7077",
            elapsedS: 3,
          },
          "text/plain": "Starting Spark (spark://a:7077)…",
        }),
      ],
    },
  ]);
  await page.goto(path);
  const list = page.getByRole("list", { name: "Cells" });
  await expect(list.getByText("[3]")).toBeVisible();
  await expect(list.getByText(/^100%\s+line two/)).toBeVisible();
  await expect(list.getByText("10%")).toHaveCount(0);
  await expect(list.getByText("red text")).toHaveCSS("color", "rgb(231, 92, 88)");
  await expect(list.getByRole("status").filter({ hasText: "Output truncated: 3.4 MB more" })).toBeVisible();
  await expect(list.getByRole("group", { name: "Error: ZeroDivisionError" })).toContainText(
    "division by zero",
  );
  const table = list.locator("table.nb-table");
  await expect(table).toContainText("bigint");
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await expect(list.getByText("Rows 1–2 of 10")).toBeVisible();
  await expect(list.getByText("html fallback")).toHaveCount(0);
  await expect(list.getByRole("group", { name: "JSON output" })).toContainText("answer");
  await expect(list.locator(".katex")).toBeVisible();
  // Vega-Lite is drawn by the CSP-safe renderer, not shown as its text fallback.
  await expect(list.getByTestId("vega-output").locator("svg, canvas").first()).toBeVisible();
  await expect(list.getByRole("button", { name: "Save chart" })).toBeVisible();
  await expect(list.getByText("unknown fallback")).toBeVisible();
  await expect(list.getByRole("progressbar", { name: "Job 7 tasks" })).toHaveAttribute("aria-valuenow", "42");
  await expect(list.getByText("42/100 tasks · 1/2 stages")).toBeVisible();
  // The kernel's notice while a cell waits for Spark: drawn, not shown as its text fallback;
  // a wait under way counts on.
  await expect(list.getByText("Spark started in 18.4 s (local[*]).")).toHaveClass(/nb-spark-start/);
  const waiting = list.getByRole("status").filter({ hasText: "Starting Spark (spark://a:7077)…" });
  await expect(waiting).toContainText(/… [3-9] s\./);
  await expect(waiting).toContainText(/… ([5-9]|\d\d) s\./, { timeout: 10_000 });
});

test("a long stream, drawn in boxes of lines, shows and copies exactly as one text would", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  // 130 lines: boxes of 50, 50 and 30; the last line of each full box is empty, the case a box
  // boundary could lose.
  const text = Array.from({ length: 130 }, (_, i) => (i % 50 === 49 ? "\n" : `line ${i}\n`)).join("");
  const { path } = await createNotebook(request, "Long stream", [
    {
      cell_type: "code",
      source: "print(many)",
      outputs: [{ output_type: "stream", name: "stdout", text }],
    },
  ]);
  await page.goto(path);
  const stream = page.getByRole("list", { name: "Cells" }).locator("pre.nb-pre").first();
  await expect(stream).toContainText("line 129");
  await expect(stream.locator(".nb-stream-block")).toHaveCount(3);
  // The same text in one <pre> beside it is the reference: same height, text and copied text.
  const compared = await stream.evaluate((pre, whole) => {
    const reference = document.createElement("pre");
    reference.className = pre.className;
    reference.textContent = whole;
    pre.after(reference);
    const copied = (element: Element) => {
      const range = document.createRange();
      range.selectNodeContents(element);
      const selection = getSelection()!;
      selection.removeAllRanges();
      selection.addRange(range);
      return selection.toString();
    };
    const result = {
      heights: [pre.getBoundingClientRect().height, reference.getBoundingClientRect().height],
      texts: [pre.textContent, reference.textContent],
      copies: [copied(pre), copied(reference)],
    };
    reference.remove();
    return result;
  }, text);
  expect(compared.texts[0]).toBe(text);
  expect(compared.heights[0]).toBeGreaterThan(0);
  expect(compared.heights[0]).toBe(compared.heights[1]);
  expect(compared.copies[0]).toBe(compared.copies[1]);
});
