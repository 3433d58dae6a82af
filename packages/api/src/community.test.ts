import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let a: TTestUser;
let b: TTestUser;
let projectId: string;
let notebookId: string;

const spec = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  mark: "bar",
  data: { values: [{ x: "a", y: 1 }] },
  encoding: { x: { field: "x" }, y: { field: "y" } },
};

beforeAll(async () => {
  t = await createTestApi();
  a = await t.signUp("Ann");
  b = await t.signUp("Ben");
  projectId = (await t.call("POST", "/api/v1/projects", { as: a, via: "token", json: { name: "Team" } })).body
    .id as string;
  await t.call("POST", `/api/v1/projects/${projectId}/members`, {
    as: a,
    via: "token",
    json: { email: b.email, role: "viewer" },
  });
  const notebook = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
    as: a,
    via: "token",
    json: {
      name: "Analysis",
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          { id: "c1", cell_type: "code", source: "1+1", metadata: {}, outputs: [], execution_count: null },
        ],
      },
    },
  });
  notebookId = notebook.body.id as string;
});
afterAll(async () => t.close());

describe("comments and mentions", () => {
  it("lets a viewer comment on a cell and mention the admin, who is notified and resolves it", async () => {
    const handleOfA = a.email.split("@")[0];
    const thread = await t.call("POST", `/api/v1/notebooks/${notebookId}/comments`, {
      as: b,
      via: "token",
      json: { cellId: "c1", body: `Is this right, @${handleOfA}? <img src=x onerror=alert(1)>` },
    });
    expect(thread.status).toBe(201);
    expect(thread.body).toMatchObject({ cellId: "c1", mentions: [a.id], resolved: false });
    // Bodies are stored as typed: escaping is the renderer's job, and nothing is lost.
    expect(thread.body.body).toContain("<img src=x onerror=alert(1)>");

    const reply = await t.call("POST", `/api/v1/notebooks/${notebookId}/comments`, {
      as: a,
      via: "token",
      json: { threadId: thread.body.id, body: "Yes." },
    });
    expect(reply.body).toMatchObject({ threadId: thread.body.id, cellId: "c1" });
    expect(
      (
        await t.call("POST", `/api/v1/notebooks/${notebookId}/comments`, {
          as: a,
          via: "token",
          json: { body: "no anchor" },
        })
      ).status,
    ).toBe(400);

    const notifications = await t.call("GET", "/api/v1/notifications", { as: a, via: "token" });
    expect(notifications.body.unread).toBe(1);
    expect((notifications.body.notifications as { comment: { cellId: string } }[])[0]?.comment.cellId).toBe(
      "c1",
    );

    expect(
      (
        await t.call("PATCH", `/api/v1/comments/${thread.body.id}`, {
          as: a,
          via: "token",
          json: { body: "not mine" },
        })
      ).status,
    ).toBe(403);
    const resolved = await t.call("PATCH", `/api/v1/comments/${thread.body.id}`, {
      as: a,
      via: "token",
      json: { resolved: true },
    });
    expect(resolved.body).toMatchObject({ resolved: true });
    const edited = await t.call("PATCH", `/api/v1/comments/${reply.body.id}`, {
      as: a,
      via: "token",
      json: { body: "Yes, checked." },
    });
    expect(edited.body.editedAt).not.toBeNull();

    const threads = await t.call("GET", `/api/v1/notebooks/${notebookId}/comments`, { as: b, via: "token" });
    const list = threads.body.threads as { resolved: boolean; replies: { body: string }[] }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ resolved: true, replies: [{ body: "Yes, checked." }] });
  });
});

describe("mentions by name", () => {
  it("notifies the project member a name means, never a namesake outside the project", async () => {
    const ada = await t.signUp("Ada");
    const author = await t.signUp("Bea");
    const outsideAda = await t.signUp("Ada");
    const samOne = await t.signUp("Sam");
    const samTwo = await t.signUp("Sam");
    const project = (
      await t.call("POST", "/api/v1/projects", { as: ada, via: "token", json: { name: "Names" } })
    ).body.id as string;
    // Ada's namesake owns a project of her own: she exists, she is just not in this one.
    await t.call("POST", "/api/v1/projects", { as: outsideAda, via: "token", json: { name: "Elsewhere" } });
    for (const [user, role] of [
      [author, "viewer"],
      [samOne, "viewer"],
      [samTwo, "viewer"],
    ] as const) {
      await t.call("POST", `/api/v1/projects/${project}/members`, {
        as: ada,
        via: "token",
        json: { email: user.email, role },
      });
    }
    const notebook = (
      await t.call("POST", `/api/v1/projects/${project}/notebooks`, {
        as: ada,
        via: "token",
        json: {
          name: "Mentions",
          notebook: {
            nbformat: 4,
            nbformat_minor: 5,
            metadata: {},
            cells: [
              {
                id: "m1",
                cell_type: "code",
                source: "x = 1",
                metadata: {},
                outputs: [],
                execution_count: null,
              },
            ],
          },
        },
      })
    ).body.id as string;
    const unread = async (user: TTestUser) =>
      (await t.call("GET", "/api/v1/notifications", { as: user, via: "token" })).body.unread;

    const byName = await t.call("POST", `/api/v1/notebooks/${notebook}/comments`, {
      as: author,
      via: "token",
      json: { cellId: "m1", body: "@Ada could you check this?" },
    });
    expect(byName.status, byName.text).toBe(201);
    expect(byName.body.mentions).toEqual([ada.id]);
    expect(await unread(ada)).toBe(1);
    expect(await unread(outsideAda)).toBe(0);
    const [notification] = (await t.call("GET", "/api/v1/notifications", { as: ada, via: "token" })).body
      .notifications as { comment: Record<string, unknown> }[];
    // What the bell needs to open the notebook at the cell with the thread.
    expect(notification?.comment).toMatchObject({
      projectId: project,
      notebookId: notebook,
      cellId: "m1",
      threadId: null,
      id: byName.body.id,
      author: "Bea",
    });

    // Two members share a name: typed, it mentions nobody; the autocomplete's token picks one.
    const typed = await t.call("POST", `/api/v1/notebooks/${notebook}/comments`, {
      as: author,
      via: "token",
      json: { threadId: byName.body.id, body: "and @Sam?" },
    });
    expect(typed.body.mentions).toEqual([]);
    const picked = await t.call("POST", `/api/v1/notebooks/${notebook}/comments`, {
      as: author,
      via: "token",
      json: { threadId: byName.body.id, body: `and <@${samTwo.id}>, not <@${outsideAda.id}>` },
    });
    expect(picked.body.mentions).toEqual([samTwo.id]);
    // Names come with the comment for the member's token only: the outsider stays unnamed.
    expect(picked.body.mentionNames).toEqual({ [samTwo.id]: "Sam" });
    expect([await unread(samOne), await unread(samTwo), await unread(outsideAda)]).toEqual([0, 1, 0]);

    // An edit that adds a mention notifies the new member once; mentioning oneself notifies no one.
    const edited = await t.call("PATCH", `/api/v1/comments/${typed.body.id}`, {
      as: author,
      via: "token",
      json: { body: `and <@${samOne.id}>? (@Bea)` },
    });
    expect(edited.body.mentions).toEqual([samOne.id]);
    await t.call("PATCH", `/api/v1/comments/${typed.body.id}`, {
      as: author,
      via: "token",
      json: { body: `and <@${samOne.id}>, again` },
    });
    expect([await unread(samOne), await unread(author)]).toEqual([1, 0]);

    // A member who leaves is no longer mentioned by name.
    await t.call("DELETE", `/api/v1/projects/${project}/members/${samOne.id}`, { as: ada, via: "token" });
    const after = await t.call("POST", `/api/v1/notebooks/${notebook}/comments`, {
      as: author,
      via: "token",
      json: { cellId: "m1", body: `<@${samOne.id}> @Sam` },
    });
    expect(after.body.mentions).toEqual([samTwo.id]);
  });
});

describe("charts, publishing, stars and forks", () => {
  it("saves a chart to the board, publishes a notebook for anonymous readers, and forks it", async () => {
    const chart = await t.call("POST", `/api/v1/projects/${projectId}/charts`, {
      as: a,
      via: "token",
      json: { title: "Sales", spec, sourceNotebookId: notebookId },
    });
    expect(chart.status).toBe(201);
    expect(chart.body).toMatchObject({
      title: "Sales",
      sourceNotebook: { id: notebookId, name: "Analysis" },
      pinned: false,
    });
    const second = await t.call("POST", `/api/v1/projects/${projectId}/charts`, {
      as: a,
      via: "token",
      json: { title: "Costs", spec },
    });
    await t.call("PATCH", `/api/v1/charts/${second.body.id}`, {
      as: a,
      via: "token",
      json: { pinned: true },
    });
    const board = await t.call("GET", `/api/v1/projects/${projectId}/charts`, { as: b, via: "token" });
    expect((board.body.charts as { title: string }[]).map((entry) => entry.title)).toEqual([
      "Costs",
      "Sales",
    ]);
    expect(
      (
        await t.call("POST", `/api/v1/projects/${projectId}/charts`, {
          as: b,
          via: "token",
          json: { title: "x", spec },
        })
      ).status,
    ).toBe(403);

    // Anonymous: nothing before publishing, read-only after.
    expect((await t.call("GET", `/api/v1/notebooks/${notebookId}`)).status).toBe(401);
    expect(
      (await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, { as: b, via: "token" })).status,
    ).toBe(403);
    expect(
      (await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, { as: a, via: "token" })).body,
    ).toEqual({ published: true });
    const anonymous = await t.call("GET", `/api/v1/notebooks/${notebookId}`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toMatchObject({ name: "Analysis", published: true });
    expect(
      (
        await t.call("PUT", `/api/v1/notebooks/${notebookId}`, {
          json: { version: 1, notebook: anonymous.body.notebook },
        })
      ).status,
    ).toBe(401);
    expect((await t.call("GET", `/api/v1/projects/${projectId}/notebooks`)).status).toBe(401);
    expect((await t.call("GET", `/api/v1/notebooks/${notebookId}/comments`)).status).toBe(401);

    const community = await t.call("GET", "/api/v1/community?q=analy");
    expect(
      (community.body.items as { id: string; type: string }[]).map((item) => [item.type, item.id]),
    ).toEqual([["notebook", notebookId]]);

    // An outsider stars and forks the published notebook into their own project.
    const outsider = await t.signUp("Cid");
    const own = (
      await t.call("POST", "/api/v1/projects", { as: outsider, via: "token", json: { name: "Mine" } })
    ).body.id as string;
    const starOf = async () =>
      (await t.call("GET", `/api/v1/notebooks/${notebookId}/star`, { as: outsider, via: "token" })).body;
    expect(await starOf()).toEqual({ starred: false, stars: 0 });
    expect(
      (await t.call("POST", `/api/v1/notebooks/${notebookId}/star`, { as: outsider, via: "token" })).body,
    ).toEqual({ starred: true, stars: 1 });
    expect(await starOf()).toEqual({ starred: true, stars: 1 });
    // Unstarring and starring again is a toggle: the count follows.
    expect(
      (await t.call("DELETE", `/api/v1/notebooks/${notebookId}/star`, { as: outsider, via: "token" })).body,
    ).toEqual({ starred: false, stars: 0 });
    expect(await starOf()).toEqual({ starred: false, stars: 0 });
    await t.call("POST", `/api/v1/notebooks/${notebookId}/star`, { as: outsider, via: "token" });
    expect(
      (
        await t.call("PUT", `/api/v1/notebooks/${notebookId}`, {
          as: outsider,
          via: "token",
          json: { version: 1, notebook: anonymous.body.notebook },
        })
      ).status,
    ).toBe(403);
    const fork = await t.call("POST", `/api/v1/notebooks/${notebookId}/fork`, {
      as: outsider,
      via: "token",
      json: { projectId: own },
    });
    expect(fork.status).toBe(201);
    const forked = await t.call("GET", `/api/v1/notebooks/${fork.body.id}`, { as: outsider, via: "token" });
    expect(forked.body).toMatchObject({ forkedFrom: { id: notebookId, name: "Analysis" }, published: false });
    expect(
      (
        await t.call("POST", `/api/v1/notebooks/${notebookId}/fork`, {
          as: outsider,
          via: "token",
          json: { projectId },
        })
      ).status,
    ).toBe(404);

    // A user with no project yet forks into a new one, created in the same request.
    const newcomer = await t.signUp("Dee");
    const intoNew = await t.call("POST", `/api/v1/notebooks/${notebookId}/fork`, {
      as: newcomer,
      via: "token",
      json: { newProject: { name: "Dee's copy" } },
    });
    expect(intoNew.status, intoNew.text).toBe(201);
    const projects = (await t.call("GET", "/api/v1/projects", { as: newcomer, via: "token" })).body
      .projects as { id: string; name: string; role: string; notebookCount: number }[];
    expect(projects).toEqual([
      expect.objectContaining({
        id: intoNew.body.projectId,
        name: "Dee's copy",
        role: "admin",
        notebookCount: 1,
      }),
    ]);
    for (const json of [
      { projectId: own, newProject: { name: "Both" } },
      {},
      { newProject: { name: " " } },
    ]) {
      const refused = await t.call("POST", `/api/v1/notebooks/${notebookId}/fork`, {
        as: newcomer,
        via: "token",
        json,
      });
      expect(refused.status, JSON.stringify(json)).toBe(400);
    }
    expect(
      (await t.call("GET", "/api/v1/projects", { as: newcomer, via: "token" })).body.projects,
    ).toHaveLength(1);

    const byStars = await t.call("GET", "/api/v1/community?sort=stars");
    expect((byStars.body.items as { stars: number }[])[0]?.stars).toBe(1);

    await t.call("DELETE", `/api/v1/notebooks/${notebookId}/publish`, { as: a, via: "token" });
    expect((await t.call("GET", `/api/v1/notebooks/${notebookId}`)).status).toBe(401);
    expect(
      (await t.call("GET", `/api/v1/notebooks/${notebookId}`, { as: outsider, via: "token" })).status,
    ).toBe(404);
  });
});
