#!/usr/bin/env bash
# Runs every scenario in scenarios/ and prints their tables as one Markdown
# document (docs/results.md is this script's output):
#   scripts/scenario_results.sh > docs/results.md
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/trialsim
[ -x "$bin" ] || cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "# Results of the shipped scenarios"
echo
echo "Produced by \`scripts/scenario_results.sh\` with trialsim $("$bin" --version | cut -d' ' -f2), each scenario's own seed and replicates."
echo "Every figure carries its Monte Carlo error; each file's opening comment states the question it answers and the sources of its numbers."
for f in scenarios/*.toml; do
  echo
  echo "## \`$f\`"
  echo
  sed -n '/^# Question/,/^$/p' "$f" | sed 's/^# \{0,1\}//' | sed '/^$/d'
  echo
  echo '```'
  "$bin" run --out "$out" "$f" | grep -v '^wrote '
  echo '```'
  if grep -q '^\[prior\]' "$f" && grep -q '^kind = "\(robust_mixture\|power_prior\|normal\)"' "$f"; then
    echo
    echo "\`trialsim borrow $f\`:"
    echo
    "$bin" borrow --out "$out" "$f" | grep -v '^wrote '
  fi
done
