#!/usr/bin/env bash
# Runs an example against a tensord server, starting a private one if none
# is reachable, and stopping it afterwards.
#
#   examples/run.sh train_mlp.py [args...]   # Python, with the repo's .venv
#   examples/run.sh train_mlp [args...]      # the C++ twin (client/cpp/examples)
#
# The server is $TENSORD_ADDRESS (default localhost:50051) when it answers;
# otherwise $TENSORD_BIN (default <repo>/build/server/tensord) is started on
# a Unix socket in a temporary directory. What is missing (the build, the
# .venv) is made first by scripts/bootstrap.sh, which may take minutes.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${TENSORD_BUILD_DIR:-$REPO/build}
SERVER_BIN=${TENSORD_BIN:-$BUILD_DIR/server/tensord}
PY=$REPO/.venv/bin/python

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
  echo "examples: $(cd "$REPO/examples" && ls *.py | tr '\n' ' ')"
  [ $# -ge 1 ] && exit 0 || exit 2
fi
example=$1
shift

# What to run.
case "$example" in
  *.py)
    if [ -f "$example" ]; then script=$example; else script=$REPO/examples/$example; fi
    [ -f "$script" ] || { echo "run.sh: no example $example" >&2; exit 2; }
    [ -x "$PY" ] || "$REPO/scripts/bootstrap.sh" --no-build >&2
    cmd=("$PY" "$script" "$@")
    ;;
  *)
    bin=$BUILD_DIR/client/cpp/tensord_example_${example#tensord_example_}
    [ -x "$bin" ] || "$REPO/scripts/bootstrap.sh" --no-python >&2
    [ -x "$bin" ] || { echo "run.sh: no C++ example $bin" >&2; exit 2; }
    cmd=("$bin" "$@")
    ;;
esac

# True when a tensord at $1 accepts a session.
healthy() {
  "$PY" - "$1" <<'EOF' 2>/dev/null
import sys
import tensord
try:
    tensord.Session(sys.argv[1], timeout=1.0, keepalive=False).close()
except tensord.TensordError:
    sys.exit(1)
EOF
}
[ -x "$PY" ] || "$REPO/scripts/bootstrap.sh" --no-build >&2

address=${TENSORD_ADDRESS:-localhost:50051}
if ! healthy "$address"; then
  [ -x "$SERVER_BIN" ] || "$REPO/scripts/bootstrap.sh" --no-python >&2
  dir=$(mktemp -d /tmp/tensord-run-XXXXXX)
  address=unix:$dir/tensord.sock
  "$SERVER_BIN" --listen "$address" >"$dir/server.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
  trap 'exit 130' INT  # Ctrl-C: exit, which runs the EXIT trap
  trap 'exit 143' TERM HUP
  for _ in $(seq 300); do
    healthy "$address" && break
    kill -0 $pid 2>/dev/null || { echo "run.sh: tensord exited:" >&2; cat "$dir/server.log" >&2; exit 1; }
    sleep 0.1
  done
  healthy "$address" || { echo "run.sh: tensord did not start" >&2; cat "$dir/server.log" >&2; exit 1; }
  echo "run.sh: started tensord (pid $pid) on $address; it stops when the example ends" >&2
fi
TENSORD_ADDRESS=$address "${cmd[@]}"
