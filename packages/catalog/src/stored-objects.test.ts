// The catalog's reading of an object store, over the folder implementation of the same interface
// the bucket one has (packages/storage tests both against a real S3 server).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { LocalObjectStore, StorageError } from "@flint/storage";
import { afterAll, expect, it } from "vitest";
import {
  describeStoredObject,
  fromStorageError,
  projectKey,
  readObjectCsvHeader,
  readOptionsForObject,
} from "./stored-objects.js";

const root = mkdtempSync(path.join(os.tmpdir(), "flint-stored-objects-"));
const store = new LocalObjectStore(root);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const put = (key: string, text: string) => store.put(key, Readable.from([text]));

it("describes a Spark-written folder: data parts, their format, and parts left in _temporary", async () => {
  const folder = projectKey("p1", "datasets/sales.parquet");
  await put(`${folder}/part-00000-a.snappy.parquet`, "PAR1....PAR1");
  await put(`${folder}/part-00001-a.snappy.parquet`, "PAR1..PAR1");
  await put(`${folder}/_SUCCESS`, "");
  expect(await describeStoredObject(store, folder)).toEqual({
    sizeBytes: 22,
    format: "parquet",
    isDirectory: true,
    dataFiles: 2,
    pendingFiles: 0,
  });
  const lost = projectKey("p1", "datasets/lost.parquet");
  await put(`${lost}/_SUCCESS`, "");
  await put(`${lost}/_temporary/0/task_1/part-00000.parquet`, "PAR1PAR1");
  expect(await describeStoredObject(store, lost)).toMatchObject({ dataFiles: 0, pendingFiles: 1 });
  await expect(describeStoredObject(store, projectKey("p1", "datasets/none"))).rejects.toMatchObject({
    code: "not_found",
  });
});

it("reads a CSV header and JSON reader options from the object's first bytes", async () => {
  const csv = projectKey("p1", "uploads/people.tsv");
  await put(csv, '\uFEFFid\t"full\tname"\n1\tAda\n');
  expect(await readObjectCsvHeader(store, csv)).toEqual(["id", "full\tname"]);
  expect(await readOptionsForObject(store, "csv", csv, false)).toEqual({
    header: "true",
    inferSchema: "true",
    sep: "\t",
  });
  const json = projectKey("p1", "uploads/rows.json");
  await put(json, '  [{"a": 1}]');
  expect(await readOptionsForObject(store, "json", json, false)).toEqual({ multiLine: "true" });
});

it("keeps keys inside the project and maps store errors to the catalog's", () => {
  for (const bad of ["../p2/x.csv", "/etc/passwd", "a/../../b", ""]) {
    expect(() => projectKey("p1", bad), bad).toThrow(/must be relative/);
  }
  expect(() => projectKey("../p1", "x.csv")).toThrow(/Not a valid project id/);
  expect(projectKey("p1", "./uploads/x.csv")).toBe("projects/p1/uploads/x.csv");
  const exists = fromStorageError(new StorageError("exists", "A file named sales.csv already exists."));
  expect(exists).toMatchObject({
    code: "conflict",
    message: "A file named sales.csv already exists in the project.",
  });
  expect(fromStorageError(new StorageError("too_large", "x"), 2_000_000)).toMatchObject({
    code: "payload_too_large",
    message: "The file is larger than the upload limit of 2 MB.",
  });
  expect(fromStorageError(new StorageError("unavailable", "Could not read"))).toMatchObject({
    code: "unavailable",
  });
});
