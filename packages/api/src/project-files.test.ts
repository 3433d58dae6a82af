// The project files browser through the API, on a real file system: listing, upload (streamed,
// limited), download, folders, delete, who may do what, and path traversal refused: `..`,
// absolute paths, and symbolic links that lead out of the project's folder (SECURITY.md case 25).
import {
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { projectStorageDir } from "@flint/catalog";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let editor: TTestUser;
let viewer: TTestUser;
let outsider: TTestUser;
let projectId: string;
let otherProjectId: string;
let folder: string;

const files = () => `/api/v1/projects/${projectId}/files`;

async function upload(name: string, body: BodyInit, as = editor, extra = "") {
  return await t.call("POST", `${files()}/upload?name=${encodeURIComponent(name)}${extra}`, {
    as,
    via: "token",
    body,
    headers: { "content-type": "application/octet-stream" },
  });
}

beforeAll(async () => {
  // A small upload limit (the catalog's, FLINT_CATALOG_MAX_UPLOAD_BYTES), so the 413 is tested
  // with a small body.
  t = await createTestApi({ env: { FLINT_CATALOG_MAX_UPLOAD_BYTES: "1000" } });
  editor = await t.signUp("Eddie");
  viewer = await t.signUp("Vera");
  outsider = await t.signUp("Otto");
  projectId = (
    await t.call("POST", "/api/v1/projects", { as: editor, via: "token", json: { name: "Files" } })
  ).body.id as string;
  otherProjectId = (
    await t.call("POST", "/api/v1/projects", { as: outsider, via: "token", json: { name: "Elsewhere" } })
  ).body.id as string;
  await t.call("POST", `/api/v1/projects/${projectId}/members`, {
    as: editor,
    via: "token",
    json: { email: viewer.email, role: "viewer" },
  });
  folder = projectStorageDir(t.config.storageRoot, projectId);
});
afterAll(async () => t.close());

describe("project files", () => {
  it("lists what a notebook wrote into the project's folder, folders first, with sizes and times", async () => {
    mkdirSync(path.join(folder, "results"), { recursive: true });
    // As `df.to_csv("out.csv")` in a kernel whose working directory is this folder.
    writeFileSync(path.join(folder, "out.csv"), "a,b\n1,2\n");
    const listing = await t.call("GET", files(), { as: viewer, via: "token" });
    expect(listing.status).toBe(200);
    const entries = listing.body.entries as {
      name: string;
      kind: string;
      sizeBytes: number;
      modifiedAt: string;
    }[];
    expect(entries[0]).toMatchObject({ name: "results", kind: "folder", sizeBytes: 0 });
    expect(entries.find((entry) => entry.name === "out.csv")).toMatchObject({
      kind: "file",
      sizeBytes: 8,
      path: "out.csv",
    });
    expect(Number.isNaN(Date.parse(entries[0]!.modifiedAt))).toBe(false);
  });

  it("uploads (editors), downloads (viewers) and refuses a name already taken", async () => {
    const uploaded = await upload("Quarterly report é.txt", "hello, files\n");
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ name: "Quarterly report é.txt", kind: "file", sizeBytes: 13 });
    expect(readFileSync(path.join(folder, "Quarterly report é.txt"), "utf8")).toBe("hello, files\n");
    const download = await t.call(
      "GET",
      `${files()}/download?path=${encodeURIComponent("Quarterly report é.txt")}`,
      { as: viewer, via: "token" },
    );
    expect(download.status).toBe(200);
    expect(download.text).toBe("hello, files\n");
    expect(download.headers.get("content-type")).toBe("application/octet-stream");
    expect(download.headers.get("content-disposition")).toContain("attachment;");
    expect(download.headers.get("content-disposition")).toContain(
      "filename*=UTF-8''Quarterly%20report%20%C3%A9.txt",
    );
    const again = await upload("Quarterly report é.txt", "other");
    expect(again.status).toBe(409);
    const replaced = await upload("Quarterly report é.txt", "new text", editor, "&overwrite=true");
    expect(replaced.status).toBe(201);
    expect(readFileSync(path.join(folder, "Quarterly report é.txt"), "utf8")).toBe("new text");
  });

  it("refuses an upload above the limit and leaves nothing behind", async () => {
    const response = await upload("big.bin", new Uint8Array(5000));
    expect(response.status).toBe(413);
    expect(response.body.error).toMatchObject({ message: expect.stringContaining("upload limit") });
    const listing = await t.call("GET", files(), { as: editor, via: "token" });
    const names = (listing.body.entries as { name: string }[]).map((entry) => entry.name);
    expect(names).not.toContain("big.bin");
    expect(names.some((name) => name.startsWith(".uploading"))).toBe(false);
  });

  it("makes folders, uploads into them, and deletes a folder with its contents", async () => {
    const made = await t.call("POST", `${files()}/folders`, {
      as: editor,
      via: "token",
      json: { path: "", name: "raw data" },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: "raw data", kind: "folder", path: "raw data" });
    const inside = await upload("day1.csv", "x\n1\n", editor, `&path=${encodeURIComponent("raw data")}`);
    expect(inside.body).toMatchObject({ path: "raw data/day1.csv" });
    const nested = await t.call("GET", `${files()}?path=${encodeURIComponent("raw data")}`, {
      as: viewer,
      via: "token",
    });
    expect((nested.body.entries as { name: string }[]).map((entry) => entry.name)).toEqual(["day1.csv"]);
    const duplicate = await t.call("POST", `${files()}/folders`, {
      as: editor,
      via: "token",
      json: { path: "", name: "raw data" },
    });
    expect(duplicate.status).toBe(409);
    const deleted = await t.call("DELETE", `${files()}?path=${encodeURIComponent("raw data")}`, {
      as: editor,
      via: "token",
    });
    expect(deleted.status).toBe(200);
    expect(existsSync(path.join(folder, "raw data"))).toBe(false);
    const missing = await t.call("DELETE", `${files()}?path=nothing-here`, { as: editor, via: "token" });
    expect(missing.status).toBe(404);
  });

  it("lets viewers read only, and outsiders nothing (404)", async () => {
    expect((await upload("viewer.txt", "x", viewer)).status).toBe(403);
    const viewerDelete = await t.call("DELETE", `${files()}?path=out.csv`, { as: viewer, via: "token" });
    expect(viewerDelete.status).toBe(403);
    const viewerFolder = await t.call("POST", `${files()}/folders`, {
      as: viewer,
      via: "token",
      json: { name: "v" },
    });
    expect(viewerFolder.status).toBe(403);
    for (const [method, url] of [
      ["GET", files()],
      ["GET", `${files()}/download?path=out.csv`],
      ["DELETE", `${files()}?path=out.csv`],
    ] as const) {
      expect((await t.call(method, url, { as: outsider, via: "token" })).status, url).toBe(404);
    }
    expect(existsSync(path.join(folder, "out.csv"))).toBe(true);
  });

  it("refuses path traversal: '..', absolute-looking paths, backslashes and bad names", async () => {
    const secret = path.join(t.config.dataDir, "secrets", "auth-secret");
    expect(existsSync(secret)).toBe(true);
    for (const bad of ["..", "../..", "results/../../..", "../../secrets/auth-secret", "a\\..\\b"]) {
      const download = await t.call("GET", `${files()}/download?path=${encodeURIComponent(bad)}`, {
        as: editor,
        via: "token",
      });
      expect(download.status, bad).toBe(400);
      const list = await t.call("GET", `${files()}?path=${encodeURIComponent(bad)}`, {
        as: editor,
        via: "token",
      });
      expect(list.status, bad).toBe(400);
      const remove = await t.call("DELETE", `${files()}?path=${encodeURIComponent(bad)}`, {
        as: editor,
        via: "token",
      });
      expect(remove.status, bad).toBe(400);
    }
    // A leading slash is relative to the project's folder, never the machine's root.
    const rooted = await t.call("GET", `${files()}/download?path=${encodeURIComponent("/etc/passwd")}`, {
      as: editor,
      via: "token",
    });
    expect(rooted.status).toBe(404);
    for (const name of ["..", "a/b", "x\u0000y", ""]) {
      const response = await upload(name, "x");
      expect(response.status, JSON.stringify(name)).toBe(400);
    }
    const folderName = await t.call("POST", `${files()}/folders`, {
      as: editor,
      via: "token",
      json: { path: "../..", name: "escape" },
    });
    expect(folderName.status).toBe(400);
    expect(existsSync(path.join(t.config.dataDir, "escape"))).toBe(false);
    expect(existsSync(secret)).toBe(true);
  });

  it("never follows a symbolic link out of the project's folder (a kernel can make one)", async () => {
    const otherFolder = projectStorageDir(t.config.storageRoot, otherProjectId);
    mkdirSync(otherFolder, { recursive: true });
    writeFileSync(path.join(otherFolder, "private.csv"), "secret,data\n");
    symlinkSync(path.join(otherFolder, "private.csv"), path.join(folder, "stolen.csv"));
    symlinkSync(otherFolder, path.join(folder, "elsewhere"));
    symlinkSync("/etc", path.join(folder, "etc"));
    writeFileSync(path.join(folder, "inside.txt"), "fine\n");
    symlinkSync("inside.txt", path.join(folder, "alias.txt"));

    const listing = await t.call("GET", files(), { as: editor, via: "token" });
    const byName = new Map(
      (listing.body.entries as { name: string; kind: string }[]).map((entry) => [entry.name, entry]),
    );
    expect(byName.get("stolen.csv")).toMatchObject({ kind: "link" });
    expect(byName.get("elsewhere")).toMatchObject({ kind: "link" });

    for (const url of [
      `${files()}/download?path=stolen.csv`,
      `${files()}/download?path=elsewhere/private.csv`,
      `${files()}/download?path=etc/passwd`,
      `${files()}?path=elsewhere`,
      `${files()}?path=etc`,
    ]) {
      const response = await t.call("GET", url, { as: editor, via: "token" });
      expect(response.status, url).toBe(400);
      expect(response.text).not.toContain("secret,data");
      expect(response.body.error).toMatchObject({ message: expect.stringContaining("outside") });
    }
    const intoLink = await upload("planted.txt", "x", editor, "&path=elsewhere");
    expect(intoLink.status).toBe(400);
    expect(existsSync(path.join(otherFolder, "planted.txt"))).toBe(false);
    const folderThroughLink = await t.call("POST", `${files()}/folders`, {
      as: editor,
      via: "token",
      json: { path: "elsewhere", name: "planted" },
    });
    expect(folderThroughLink.status).toBe(400);
    const deleteThroughLink = await t.call("DELETE", `${files()}?path=elsewhere/private.csv`, {
      as: editor,
      via: "token",
    });
    expect(deleteThroughLink.status).toBe(400);

    // A link inside the folder works; deleting a link removes the link, never its target.
    const alias = await t.call("GET", `${files()}/download?path=alias.txt`, { as: editor, via: "token" });
    expect(alias.text).toBe("fine\n");
    const unlinked = await t.call("DELETE", `${files()}?path=stolen.csv`, { as: editor, via: "token" });
    expect(unlinked.status).toBe(200);
    expect(readFileSync(path.join(otherFolder, "private.csv"), "utf8")).toBe("secret,data\n");
    const unlinkedFolder = await t.call("DELETE", `${files()}?path=elsewhere`, { as: editor, via: "token" });
    expect(unlinkedFolder.status).toBe(200);
    expect(existsSync(path.join(otherFolder, "private.csv"))).toBe(true);
  });

  // As root (the sandboxed set-up), the project's folder belongs to its sandbox user once a
  // kernel ran: new entries are given to that user, and deletion runs as that user.
  it.runIf(process.getuid?.() === 0)(
    "gives uploads and folders to the folder's sandbox user and deletes as that user",
    async () => {
      const projectUser = 200_777;
      const sandboxed = (
        await t.call("POST", "/api/v1/projects", { as: editor, via: "token", json: { name: "Sandboxed" } })
      ).body.id as string;
      const root = projectStorageDir(t.config.storageRoot, sandboxed);
      mkdirSync(root, { recursive: true });
      chownSync(root, projectUser, projectUser);
      const base = `/api/v1/projects/${sandboxed}/files`;
      const uploaded = await t.call("POST", `${base}/upload?name=data.csv`, {
        as: editor,
        via: "token",
        body: "a\n1\n",
        headers: { "content-type": "application/octet-stream" },
      });
      expect(uploaded.status).toBe(201);
      expect(statSync(path.join(root, "data.csv")).uid).toBe(projectUser);
      await t.call("POST", `${base}/folders`, { as: editor, via: "token", json: { name: "out" } });
      expect(statSync(path.join(root, "out")).uid).toBe(projectUser);
      // What the kernel wrote is the project user's; Flint deletes it as that user.
      mkdirSync(path.join(root, "out", "part"), { recursive: true });
      writeFileSync(path.join(root, "out", "part", "0.csv"), "x");
      chownSync(path.join(root, "out", "part"), projectUser, projectUser);
      chownSync(path.join(root, "out", "part", "0.csv"), projectUser, projectUser);
      for (const entry of ["data.csv", "out"]) {
        const response = await t.call("DELETE", `${base}?path=${entry}`, { as: editor, via: "token" });
        expect(response.status, response.text).toBe(200);
        expect(existsSync(path.join(root, entry))).toBe(false);
      }
    },
  );
});
