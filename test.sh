#!/usr/bin/env bash
# The test suite: go test ./...; the Python package (the engine library
# built, the tests run on the package in place, then on a copy installed
# with pip into a fresh virtual environment); then every fuzz target, for
# a number of inputs that takes about 10 s each here, or for FUZZTIME each
# (a duration such as 60s, or a count such as 100000x; FUZZTIME=0 skips
# fuzzing). Prints how many inputs the fuzzers tried.
set -euo pipefail
cd "$(dirname "$0")"
go test ./...

# A Python with NumPy, Matplotlib and pytest: $PYTHON, python3, or Debian's.
py=""
for cand in ${PYTHON:-} python3 /usr/bin/python3; do
	if "$cand" -c "import numpy, matplotlib, pytest, venv" 2>/dev/null; then
		py=$cand
		break
	fi
done
[ -n "$py" ] || { echo "test.sh: no python3 with numpy, matplotlib and pytest (apt install python3-numpy python3-matplotlib python3-pytest python3-venv)" >&2; exit 1; }
go build -buildmode=c-shared -o python/microcircuit/libmicrocircuit.so ./cmd/libmicrocircuit
"$py" -m pytest -q -p no:cacheprovider python/tests
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
"$py" -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q --no-build-isolation --no-index ./python
(cd "$venv" && MICROCIRCUIT_TEST_INSTALLED=1 "$venv/bin/python" -m pytest -q -p no:cacheprovider "$OLDPWD/python/tests")
rm -rf python/build python/microcircuit.egg-info

[ "${FUZZTIME:-}" = 0 ] && exit 0
total=0
# target, and its default number of inputs (about 10 s each here): counts,
# not durations, because Go 1.26's fuzz coordinator can end a clean timed
# run with a bare "context deadline exceeded" when -fuzztime expires
# mid-call (golang/go#75804, fixed in Go 1.27); a count has no deadline.
for target in params:FuzzConfig:40000 cmd/microcircuit:FuzzCommandLine:60000 \
	analysis:FuzzSpikeFile:400000 analysis:FuzzPopulationFiles:350000 internal/npy:FuzzDecode:60000 \
	replay:FuzzNetworkJSON:40000 dropin:FuzzDictionaries:300000; do
	IFS=: read -r pkg name count <<<"$target"
	fuzztime=${FUZZTIME:-${count}x}
	# With a duration, that bare deadline error and no failing input
	# written is retried once; any other failure, or the same twice, fails.
	for attempt in 1 2; do
		if out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "./$pkg" 2>&1); then
			break
		fi
		if [ "$attempt" = 1 ] && echo "$out" | grep -q 'context deadline exceeded' &&
			! echo "$out" | grep -q 'Failing input written'; then
			echo "fuzz $pkg $name: the fuzz coordinator's deadline race (golang/go#75804); again"
			continue
		fi
		echo "$out"
		exit 1
	done
	execs=$(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | grep -o '[0-9]*' || echo 0)
	echo "fuzz $pkg $name: $execs inputs"
	total=$((total + execs))
done
echo "fuzzing: $total inputs in all, no failure"
