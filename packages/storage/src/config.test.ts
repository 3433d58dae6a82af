import { expect, it } from "vitest";
import { describeStorage, parseStorageConfig } from "./config.js";

it("without FLINT_STORAGE_URL, files stay in the data folder as before", () => {
  expect(parseStorageConfig({}, "/srv/flint")).toEqual({ kind: "file", root: "/srv/flint/storage" });
  expect(parseStorageConfig({ FLINT_STORAGE_URL: " " }, "/srv/flint")).toEqual({
    kind: "file",
    root: "/srv/flint/storage",
  });
  expect(parseStorageConfig({ FLINT_STORAGE_URL: "file:///mnt/shared/flint" }, "/x")).toEqual({
    kind: "file",
    root: "/mnt/shared/flint",
  });
});

it("an s3:// URL with an endpoint uses path-style addressing and the given credentials", () => {
  const config = parseStorageConfig(
    {
      FLINT_STORAGE_URL: "s3://flint-data/team/prod/",
      FLINT_S3_ENDPOINT: "http://minio:9000/",
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIA",
      AWS_SECRET_ACCESS_KEY: "secret",
    },
    "/x",
  );
  expect(config).toEqual({
    kind: "s3",
    bucket: "flint-data",
    prefix: "team/prod",
    endpoint: "http://minio:9000",
    region: "eu-west-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIA", secretAccessKey: "secret" },
  });
  expect(describeStorage(config)).toBe("s3://flint-data/team/prod at http://minio:9000");
  // AWS itself: virtual-hosted addressing, the SDK's own credential chain.
  expect(parseStorageConfig({ FLINT_STORAGE_URL: "s3://flint-data" }, "/x")).toMatchObject({
    prefix: "",
    region: "us-east-1",
    forcePathStyle: false,
    credentials: undefined,
  });
  expect(
    parseStorageConfig(
      {
        FLINT_STORAGE_URL: "s3://flint-data",
        FLINT_S3_ENDPOINT: "https://s3.example",
        FLINT_S3_PATH_STYLE: "false",
      },
      "/x",
    ),
  ).toMatchObject({ forcePathStyle: false });
});

it("says which variable is wrong and what to write", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ FLINT_STORAGE_URL: "/srv/data" }, /FLINT_STORAGE_URL: .* is not a URL; write file:/],
    [{ FLINT_STORAGE_URL: "gs://bucket" }, /scheme gs: is not supported/],
    [{ FLINT_STORAGE_URL: "s3://Bad_Bucket" }, /not a valid bucket name/],
    [{ FLINT_STORAGE_URL: "s3://key:secret@bucket" }, /no credentials/],
    [{ FLINT_STORAGE_URL: "s3://bucket/a/../b" }, /must not contain/],
    [{ FLINT_STORAGE_URL: "file://server/share" }, /not a host/],
    [{ FLINT_STORAGE_URL: "s3://bucket", FLINT_S3_ENDPOINT: "minio:9000" }, /FLINT_S3_ENDPOINT: use an http/],
    [
      { FLINT_STORAGE_URL: "s3://bucket", FLINT_S3_PATH_STYLE: "yes" },
      /FLINT_S3_PATH_STYLE: write true or false/,
    ],
    [{ FLINT_STORAGE_URL: "s3://bucket", AWS_ACCESS_KEY_ID: "AKIA" }, /set both or neither/],
  ];
  for (const [env, message] of cases) expect(() => parseStorageConfig(env, "/x")).toThrow(message);
});
