#!/bin/sh
# Starts SERVER_BIN on a private Unix socket, waits until TENSORCTL_BIN finds
# it healthy, runs COMMAND with TENSORD_ADDRESS pointing at it, then stops
# the server. The exit status is COMMAND's.
# Usage: with_server.sh SERVER_BIN TENSORCTL_BIN COMMAND [ARGS...]
set -eu
server=$1
tensorctl=$2
shift 2
dir=$(mktemp -d /tmp/tensord-example-XXXXXX)
"$server" --listen "unix:$dir/sock" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
i=0
until "$tensorctl" --address "unix:$dir/sock" --timeout 1 health >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 300 ]; then echo "server did not start"; cat "$dir/server.log"; exit 1; fi
  sleep 0.05
done
TENSORD_ADDRESS="unix:$dir/sock" "$@"
