#!/usr/bin/env bash
# The "interactive" bar of issue 15: every shipped scenario as a 10-point
# power curve (10 sample sizes evenly spaced over the scenario's own n_per_arm
# range; a single n becomes n/2 .. 2n) at 10,000 replicates per point, timed
# as a whole process on THREADS threads (default 2). Prints a Markdown table.
# With a second binary (BEFORE), each scenario runs under BEFORE and then
# BINARY, back to back, and the table gains both times and the speed-up.
#   scripts/power_curves.sh [BINARY] [THREADS] [BEFORE]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/trialsim}
threads=${2:-2}
before=${3:-}
[ -x "$bin" ] || cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seconds() { # wall seconds of one 10-point curve of $2 under binary $1
  local start end
  start=$(date +%s.%N)
  "$1" run --quiet --threads "$threads" --replicates 10000 --out "$tmp/out" "$2"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}
if [ -n "$before" ]; then
  echo "| scenario | n per arm (10 points) | before (s) | now (s) | speed-up |"
  echo "|---|---|---|---|---|"
else
  echo "| scenario | n per arm (10 points) | trials | seconds ($threads threads) |"
  echo "|---|---|---|---|"
fi
for f in scenarios/*.toml; do
  name=$(basename "$f" .toml)
  sizes=$(python3 - "$f" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'^n_per_arm\s*=\s*(\[[^\]]*\]|\d+)', text, re.M)
v = m.group(1)
ns = [int(x) for x in re.findall(r'\d+', v)]
lo, hi = (min(ns), max(ns)) if len(ns) > 1 else (max(2, ns[0] // 2), ns[0] * 2)
pts = sorted({round(lo + (hi - lo) * k / 9) for k in range(10)})
k = 1
while len(pts) < 10:
    pts = sorted(set(pts) | {hi + k}); k += 1
print("[" + ", ".join(map(str, pts)) + "]")
PY
)
  # The [sensitivity] table (read only by `trialsim sensitivity`) is left
  # out, so a binary from before it existed can run the same file.
  sed -E "s/^n_per_arm *=.*/n_per_arm = $sizes/" "$f" | sed '/^\[sensitivity\]/,$d' > "$tmp/$name.toml"
  if [ -n "$before" ]; then
    old=$(seconds "$before" "$tmp/$name.toml")
    new=$(seconds "$bin" "$tmp/$name.toml")
    printf '| `%s` | %s | %.2f | %.2f | %.2f |\n' "$name" "$sizes" "$old" "$new" "$(awk -v a="$old" -v b="$new" 'BEGIN { print a / b }')"
  else
    secs=$(seconds "$bin" "$tmp/$name.toml")
    # A file whose effect has a prior also runs its assurance pass.
    trials=$(python3 -c "import json, sys; print(100000 * (2 if json.load(open(sys.argv[1])).get('effect_sd', 0) > 0 else 1))" "$tmp/out/$name/summary.json")
    printf '| %s | %s | %d | %.2f |\n' "$name" "$sizes" "$trials" "$secs"
  fi
done
