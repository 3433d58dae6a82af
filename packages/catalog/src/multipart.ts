/**
 * Streaming `multipart/form-data` uploads: text fields first, then one file streamed straight
 * to disk (busboy parses the stream; nothing holds the whole file in memory). The caller
 * decides, from the fields, whether the upload is allowed and where the file goes, before a
 * single byte of it is written.
 */
import { Readable } from "node:stream";
import type { ReadableStream as TWebReadableStream } from "node:stream/web";
import busboy from "busboy";
import { CatalogError } from "./errors.js";
import { writeStreamToFile } from "./storage.js";

/** The uploaded file as the caller's `onFile` sees it. */
export interface TIncomingFile {
  /** The file name the browser sent (untrusted: never used as a path). */
  fileName: string;
  mimeType: string;
}

/** The result of a complete upload. */
export interface TUploadResult<T> {
  fields: Record<string, string>;
  /** `path`: where the file was written on disk; absent when `onFile` gave its own `write`. */
  file: TIncomingFile & { path?: string; sizeBytes: number };
  /** What `onFile` returned besides the target path. */
  context: T;
}

/** Options of {@link receiveMultipartUpload}. */
export interface TUploadOptions<T> {
  maxFileBytes: number;
  /**
   * Called once, when the file part starts, with the fields sent before it. Authorize here and
   * return where to write the file: a `path` on disk (and the user who should own it, see
   * `folderOwner`), or a `write` that streams it elsewhere (an object store) and answers its size;
   * throwing aborts the upload.
   */
  onFile: (
    fields: Record<string, string>,
    file: TIncomingFile,
  ) => Promise<
    | { path: string; owner?: { uid: number; gid: number } | null; context: T }
    | { write: (stream: Readable) => Promise<number>; context: T }
  >;
}

const MAX_FIELD_BYTES = 64 * 1024;

/**
 * Receives one file and its fields from a multipart body.
 * @throws CatalogError 400 for a malformed body or a missing file, 413 above `maxFileBytes`,
 *   or whatever `onFile` throws.
 */
export async function receiveMultipartUpload<T>(
  body: ReadableStream<Uint8Array> | null,
  contentType: string,
  options: TUploadOptions<T>,
): Promise<TUploadResult<T>> {
  if (!body)
    throw new CatalogError("bad_request", "The request has no body: send the file as multipart/form-data.");
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType },
      limits: { files: 1, fields: 20, fieldSize: MAX_FIELD_BYTES, fileSize: options.maxFileBytes + 1 },
    });
  } catch (error) {
    throw new CatalogError("bad_request", `Malformed multipart request: ${(error as Error).message}`);
  }
  const input = Readable.fromWeb(body as TWebReadableStream<Uint8Array>);
  const fields: Record<string, string> = {};
  return await new Promise<TUploadResult<T>>((resolve, reject) => {
    let isSettled = false;
    let fileWork: Promise<TUploadResult<T>> | null = null;
    const fail = (error: unknown) => {
      if (isSettled) return;
      isSettled = true;
      // Stop reading the rest of the body: an outsider or an oversized file costs no more I/O.
      input.unpipe(parser);
      input.destroy();
      reject(error);
    };
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) fail(new CatalogError("bad_request", `The form field '${name}' is too long.`));
      else fields[name] = value;
    });
    parser.on("file", (_name, stream, info) => {
      if (fileWork) {
        stream.resume();
        return;
      }
      const file: TIncomingFile = { fileName: info.filename ?? "upload", mimeType: info.mimeType };
      fileWork = (async () => {
        const target = await options.onFile({ ...fields }, file);
        const sizeBytes =
          "write" in target
            ? await target.write(stream)
            : await writeStreamToFile(stream, target.path, options.maxFileBytes, target.owner ?? null);
        return {
          fields: { ...fields },
          file: { ...file, ...("path" in target ? { path: target.path } : {}), sizeBytes },
          context: target.context,
        };
      })();
      fileWork.catch((error) => {
        stream.resume();
        fail(error);
      });
    });
    parser.on("filesLimit", () => undefined);
    parser.on("error", (error) =>
      fail(new CatalogError("bad_request", `Malformed multipart request: ${(error as Error).message}`)),
    );
    parser.on("close", () => {
      if (isSettled) return;
      if (!fileWork) {
        fail(new CatalogError("bad_request", "No file in the upload: send it in the form field 'file'."));
        return;
      }
      fileWork.then((result) => {
        if (isSettled) return;
        isSettled = true;
        // Fields sent after the file (a description typed last) count too.
        resolve({ ...result, fields: { ...fields } });
      }, fail);
    });
    input.on("error", (error) =>
      fail(new CatalogError("bad_request", `The upload was interrupted: ${error.message}`)),
    );
    input.pipe(parser);
  });
}
