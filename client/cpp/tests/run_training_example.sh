#!/bin/sh
# Runs a training example (examples/train_*.cc) for 3 epochs against a fresh
# server on a Unix socket and checks its epoch losses against PyTorch's.
# Usage: run_training_example.sh SERVER_BIN EXAMPLE_BIN TENSORCTL_BIN LOSS1 LOSS2 LOSS3
# (the LOSSes are what the Python twin printed on PyTorch; see CMakeLists.txt).
set -eu
server=$1
example=$2
tensorctl=$3
want1=$4
want2=$5
want3=$6
out=$("$(dirname "$0")/with_server.sh" "$server" "$tensorctl" "$example" --epochs 3)
echo "$out"
# Float32 rounding differences stay far below 1e-4 in 3 epochs.
echo "$out" | awk -v w1="$want1" -v w2="$want2" -v w3="$want3" '
  /^epoch/ { got[$2] = $4; n++ }
  END {
    want[1] = w1; want[2] = w2; want[3] = w3
    for (e = 1; e <= 3; e++) {
      d = got[e] - want[e]; if (d < 0) d = -d
      if (!(e in got) || d > 1e-4) { printf "epoch %d: loss %s, PyTorch %s\n", e, got[e], want[e]; bad = 1 }
    }
    if (n != 3) { print "expected 3 epoch lines"; bad = 1 }
    exit bad
  }'
