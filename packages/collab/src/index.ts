/**
 * `@flint/collab`: real-time co-editing of notebooks (docs/coediting.md). The shared document's
 * layout and wire frames are in `./shared` (browser-safe); the server's rooms in `./hub`.
 */
export * from "./hub";
export * from "./shared";
