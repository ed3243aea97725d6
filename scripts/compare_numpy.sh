#!/usr/bin/env bash
# The textbook workload (two arms of 50, change N(0,1) vs N(-0.5,1), Welch
# t-test, 800,000 trials) as whole processes on one core: numpy/scipy
# (benches/compare_numpy.py, vectorised) against trialsim
# (scenarios/textbook_continuous.toml at n = 50, --threads 1). Fastest of 3
# each; prints both times, throughputs and the ratio.
#   scripts/compare_numpy.sh [BINARY] [TRIALS]
# PYTHON names the interpreter that has numpy and scipy (default python3;
# Debian's python3-numpy and python3-scipy install them for /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/trialsim}
trials=${2:-800000}
py=${PYTHON:-python3}
[ -x "$bin" ] || cargo build --release --quiet
"$py" -c 'import numpy, scipy' 2>/dev/null || { echo "needs numpy and scipy for $py: pip install numpy scipy, or PYTHON=/usr/bin/python3 after apt-get install python3-numpy python3-scipy" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -E 's/^n_per_arm *=.*/n_per_arm = 50/' scenarios/textbook_continuous.toml > "$tmp/textbook50.toml"
best() { # best wall seconds of 3 runs of "$@"
  local b=999
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N); "$@" > "$tmp/last" 2>&1; e=$(date +%s.%N)
    b=$(echo "if ($e - $s < $b) $e - $s else $b" | bc -l)
  done
  echo "$b"
}
np=$(best "$py" benches/compare_numpy.py "$trials")
np_power=$(grep -o 'power [0-9.]*' "$tmp/last")
ts=$(best "$bin" run --quiet --threads 1 --replicates "$trials" --out "$tmp/out" "$tmp/textbook50.toml")
ts_power=$("$py" -c "import json;print('power %.4f' % json.load(open('$tmp/out/textbook_continuous/summary.json'))['results'][0]['power'])" 2>/dev/null || echo "")
printf '| program | %s trials, one core, whole process | trials/s | |\n|---|---|---|---|\n' "$trials"
printf '| numpy/scipy | %.2f s | %.0f | %s |\n' "$np" "$(echo "$trials / $np" | bc -l)" "$np_power"
printf '| trialsim | %.2f s | %.0f | %s |\n' "$ts" "$(echo "$trials / $ts" | bc -l)" "$ts_power"
printf '\ntrialsim / numpy throughput: %.2f\n' "$(echo "$np / $ts" | bc -l)"
