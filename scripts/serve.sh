#!/usr/bin/env bash
# Builds what is missing (C++ only) and runs the server in the foreground.
#
#   scripts/serve.sh [tensord flags...]      e.g. --listen unix:/tmp/tensord.sock
#
# With no flags the server listens on localhost:50051 (see build/server/tensord --help).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${TENSORD_BUILD_DIR:-$REPO/build}
"$REPO/scripts/bootstrap.sh" --no-python >&2
exec "$BUILD_DIR/server/tensord" "$@"
