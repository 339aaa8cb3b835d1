#!/bin/sh
# Runs the basic example against a fresh server on a Unix socket.
# Usage: run_example.sh SERVER_BIN EXAMPLE_BIN TENSORCTL_BIN
set -eu
server=$1
example=$2
tensorctl=$3
out=$("$(dirname "$0")/with_server.sh" "$server" "$tensorctl" "$example")
echo "$out"
# loss = mean((x @ w)^2) with x=[[1,2],[3,4]], w=[[.5,-1],[2,0]]: x@w = [[4.5,-1],[9.5,-3]]
echo "$out" | grep -q '^loss = 30.125$'
echo "$out" | grep -q '^loss.grad_fn = MeanBackward0$'
echo "$out" | grep -q '^b.grad = tensor(\[ 7., -2.\])$'
echo "$out" | grep -q 'caught: INVALID_ARGUMENT: .*shapes cannot be multiplied (2x2 and 3x2) (at basic.cc:'
echo "$out" | grep -q '^session still usable: 14$'
