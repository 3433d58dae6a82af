import { describe, expect, it } from "vitest";
import type { TCell, TNotebook } from "./model";
import { extractHeadings } from "./outline";

function notebookOf(...sources: Array<string | TCell>): TNotebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: sources.map((source, index) =>
      typeof source === "string" ? { id: `m${index}`, cell_type: "markdown", metadata: {}, source } : source,
    ),
  };
}

describe("extractHeadings", () => {
  it("lists # headings of markdown cells with their level and cell", () => {
    const notebook = notebookOf(
      "# Title\n\nSome text\n\n## Part one ##\n### Detail",
      {
        id: "code",
        cell_type: "code",
        metadata: {},
        source: "# a Python comment",
        outputs: [],
        execution_count: null,
      },
      { id: "raw", cell_type: "raw", metadata: {}, source: "# not markdown" },
      "###### Six\n####### seven is not a heading\n#hashtag",
    );
    expect(extractHeadings(notebook)).toEqual([
      { cellId: "m0", level: 1, text: "Title" },
      { cellId: "m0", level: 2, text: "Part one" },
      { cellId: "m0", level: 3, text: "Detail" },
      { cellId: "m3", level: 6, text: "Six" },
    ]);
  });

  it("reads setext headings and ignores what is inside code fences and indented code", () => {
    const notebook = notebookOf(
      "Big title\n=========\n\nSmaller\n---\n\n```python\n# comment in a fence\n```\n\n    # indented code\n\n- item\n---",
    );
    expect(extractHeadings(notebook)).toEqual([
      { cellId: "m0", level: 1, text: "Big title" },
      { cellId: "m0", level: 2, text: "Smaller" },
    ]);
  });

  it("strips HTML tags as text without interpreting them; a heading that is only a tag is left out", () => {
    const notebook = notebookOf(
      "# <img src=x onerror=alert(1)>",
      '# Hello <b>bold</b> <script>alert("x")</script>',
      '## <a id="__NEXT_DATA__"></a>Anchored',
    );
    expect(extractHeadings(notebook)).toEqual([
      { cellId: "m1", level: 1, text: 'Hello bold alert("x")' },
      { cellId: "m2", level: 2, text: "Anchored" },
    ]);
  });

  it("keeps escaped markup as visible text and reduces inline markdown to text", () => {
    const notebook = notebookOf(
      "# Using &lt;b&gt; &amp; friends",
      "## The **`groupby`** [method](https://example.com) and *snake_case_names*",
    );
    expect(extractHeadings(notebook).map((heading) => heading.text)).toEqual([
      "Using <b> & friends",
      "The groupby method and snake_case_names",
    ]);
  });
});
