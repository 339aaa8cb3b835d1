#!/bin/sh
# Runs the MLP example (examples/train_mlp.cc) for 3 epochs against a fresh
# server on a Unix socket and checks its losses against PyTorch's.
# Usage: run_train_mlp.sh SERVER_BIN EXAMPLE_BIN TENSORCTL_BIN
set -eu
server=$1
example=$2
tensorctl=$3
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
out=$(TENSORD_ADDRESS="unix:$dir/sock" "$example" --epochs 3)
echo "$out"
# Expected: the same script in Python on PyTorch 1.13 (CPU), i.e.
#   TENSORD_EXAMPLE_BACKEND=torch /usr/bin/python3 examples/train_mlp.py --epochs 3
# printed these losses; float32 rounding differences stay far below 1e-4.
echo "$out" | awk '
  /^epoch/ { got[$2] = $4 }
  /^accuracy/ { acc = $2 }
  END {
    want[1] = 0.563826; want[2] = 0.500487; want[3] = 0.439540
    for (e = 1; e <= 3; e++) {
      d = got[e] - want[e]; if (d < 0) d = -d
      if (!(e in got) || d > 1e-4) { printf "epoch %d: loss %s, PyTorch %f\n", e, got[e], want[e]; bad = 1 }
    }
    if (acc == "") { print "no accuracy line"; bad = 1 }
    exit bad
  }'
