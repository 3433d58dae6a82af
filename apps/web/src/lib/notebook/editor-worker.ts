// Monaco's editor worker as a same-origin module chunk: the page CSP allows `worker-src 'self' blob:`
// and no CDN is reachable, so the worker must be bundled with the app.
import "monaco-editor/editor/editor.worker";
