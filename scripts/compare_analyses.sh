#!/usr/bin/env bash
# Runs the same trial with each two-arm analysis and prints one Markdown row
# per (population, analysis): where does each analysis win?
# Usage: scripts/compare_analyses.sh [replicates] [power|size]
# `size` sets every effect to 0 and prints the type I error instead of power.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-10000}
mode=${2:-power}
bin=target/release/trialsim
[ -x "$bin" ] || cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name | population lines | endpoint lines | effect lines
populations=(
  "SLE preset (SLEDAI-2K, floor at 0)|disease = \"sle\"||"
  "SLE, low activity (baseline 6, many reach 0)|disease = \"sle\"\nbaseline_mean = 6\nbaseline_sd = 3||"
  "JIA preset (JADAS-27 from 4 parts)|disease = \"jia\"||"
  "JIA, MSC works in 25% of children (effect -12 each)|disease = \"jia\"||mean = -3\nresponder_share = 0.25\nsource = \"jia.effect.prior mean, concentrated in a quarter of children\""
  "PGA 0-10, refractory (baseline 7)|baseline_mean = 7\nbaseline_sd = 2.4\ncontrol_change_mean = -1\nchange_sd = 2.4\nbaseline_change_correlation = -0.5|kind = \"pga\"\nresponder_threshold = 3|mean = -1.0\nsource = \"assumption (see seed_series_pga_literature.toml)\""
)
echo "| population | n per arm | welch_t | ancova | wilcoxon | fisher_responder |"
echo "|---|---|---|---|---|---|"
for entry in "${populations[@]}"; do
  IFS='|' read -r label pop endpoint effect <<<"$entry"
  if [ "$mode" = size ]; then effect='mean = 0\nsource = "null hypothesis"'; fi
  for n in 30 60; do
    row="| $label | $n |"
    for analysis in welch_t ancova wilcoxon fisher_responder; do
      f="$tmp/s.toml"
      printf 'name = "cmp"\n[design]\nn_per_arm = %s\nanalysis = "%s"\nvisits_weeks = [12, 24]\n[endpoint]\n%b\n[population]\n%b\n[effect]\n%b\n[simulation]\nreplicates = %s\nseed = 11\n' \
        "$n" "$analysis" "$endpoint" "$pop" "$effect" "$reps" >"$f"
      "$bin" run --quiet --out "$tmp/out" "$f"
      # The first row's power, found by its column name.
      p=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "power") c = i } NR == 2 { print $c }' "$tmp/out/cmp/summary.csv")
      p=$(printf '%.3f' "$p")
      row="$row $p |"
    done
    echo "$row"
  done
done
