#!/bin/sh
# Healthy when Flint's /api/health answers 200 (the database is reachable and migrations are done).
exec node -e '
const port = process.env.PORT || "3000";
fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(4000) })
  .then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1));
'
