#!/bin/sh
# The web image's start: Flint's server as built into the image. Nothing is installed or built
# here (the image did that), so a container starts in seconds and without a registry. Migrations
# run inside the server's start, once even when several containers start together.
# Run directly (outside a container) it serves the checkout it lives in, which is how it is tested.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
app=$(dirname "$here")
if [ ! -f "$app/apps/web/.next/BUILD_ID" ]; then
  echo "flint: the web app is not built in $app (run: node scripts/flint.mjs setup)" >&2
  exit 1
fi
: "${FLINT_DATA_DIR:?set FLINT_DATA_DIR: the folder for uploads, outputs and generated secrets}"
: "${FLINT_PYTHON_ENV:=$app/.flint/python}"
if [ ! -x "$FLINT_PYTHON_ENV/bin/python" ]; then
  echo "flint: no Python environment at $FLINT_PYTHON_ENV (set FLINT_PYTHON_ENV)" >&2
  exit 1
fi
export FLINT_PYTHON_ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
cd "$app/apps/web"
exec node --import tsx server.ts
