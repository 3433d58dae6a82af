// A Turbopack loader for @flint/api's client-safe sources (its contract): they import each other
// NodeNext style (`./common.js` for `common.ts`), which Turbopack cannot map to the `.ts` file yet
// (vercel/next.js#82945). Dropping the `.js` of relative imports lets it find the `.ts` file.
module.exports = function dropRelativeJsExtensions(source) {
  return source.replace(/(\bfrom\s+["'])(\.{1,2}\/[^"']+)\.js(["'])/g, "$1$2$3");
};
