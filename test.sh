#!/usr/bin/env bash
# The test suite: go test ./..., then every fuzz target for FUZZTIME each
# (default 10s; FUZZTIME=0 skips fuzzing). Prints how many inputs the
# fuzzers tried.
set -euo pipefail
cd "$(dirname "$0")"
go test ./...
fuzztime=${FUZZTIME:-10s}
[ "$fuzztime" = 0 ] && exit 0
total=0
for target in params:FuzzConfig cmd/microcircuit:FuzzCommandLine analysis:FuzzSpikeFile \
	analysis:FuzzPopulationFiles internal/npy:FuzzDecode replay:FuzzNetworkJSON; do
	pkg=${target%%:*}
	name=${target##*:}
	out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "./$pkg" 2>&1) || { echo "$out"; exit 1; }
	execs=$(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | grep -o '[0-9]*' || echo 0)
	echo "fuzz $pkg $name: $execs inputs"
	total=$((total + execs))
done
echo "fuzzing: $total inputs in all, no failure"
