#!/usr/bin/env bash
# trialsim side by side with R's Mediana (Debian package r-cran-mediana) on
# one equivalent scenario: two arms, normal endpoint (SD 1, effect 0.5 SD),
# t-test, one-sided alpha 0.025, n = 50 per arm, 10,000 replicates, each
# program on one core. Prints both powers, the exact noncentral-t power, and
# the time ratio.
#
#   benches/compare_mediana.sh          (installs r-cran-mediana if missing; root)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! Rscript -e 'library(Mediana)' >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq r-cran-mediana >/dev/null
fi
(cd "$root" && cargo build --release --quiet)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/mediana.R" <<'R'
suppressPackageStartupMessages(library(Mediana))
data.model <- DataModel() +
  OutcomeDist(outcome.dist = "NormalDist") +
  SampleSize(50) +
  Sample(id = "Placebo", outcome.par = parameters(parameters(mean = 0, sd = 1))) +
  Sample(id = "Treatment", outcome.par = parameters(parameters(mean = 0.5, sd = 1)))
analysis.model <- AnalysisModel() +
  Test(id = "T vs P", samples = samples("Placebo", "Treatment"), method = "TTest")
evaluation.model <- EvaluationModel() +
  Criterion(id = "Power", method = "MarginalPower", tests = tests("T vs P"),
            labels = "T vs P", par = parameters(alpha = 0.025))
sim <- SimParameters(n.sims = 10000, proc.load = 1, seed = 42938001)
t <- system.time(res <- CSE(data.model, analysis.model, evaluation.model, sim))[["elapsed"]]
cat(sprintf("mediana_power %.4f\nmediana_seconds %.3f\n", summary(res)$result[1], t))
R

cat >"$work/scenario.toml" <<'TOML'
name = "mediana_twin"
description = "Two arms, normal endpoint, effect 0.5 SD, one-sided alpha 0.025, n = 50 per arm"
[design]
n_per_arm = 50
analysis = "welch_t"
sided = "one"
alpha = 0.025
[endpoint]
kind = "continuous"
[population]
baseline_mean = 0
baseline_sd = 1
control_change_mean = 0
change_sd = 1
[effect]
mean = -0.5
source = "Comparison with Mediana: a standardised effect of 0.5"
[simulation]
replicates = 10000
seed = 42938001
TOML

Rscript "$work/mediana.R" >"$work/mediana.out"
start=$(date +%s.%N)
"$root/target/release/trialsim" run "$work/scenario.toml" --threads 1 --quiet --out "$work/out"
end=$(date +%s.%N)
# The first row's value of a summary.csv column, found by its name.
column() { awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i } NR == 2 { print $c }' "$work/out/mediana_twin/summary.csv"; }
ts_power=$(column power)
ts_se=$(column power_mc_se)
m_power=$(sed -n 's/^mediana_power //p' "$work/mediana.out")
m_seconds=$(sed -n 's/^mediana_seconds //p' "$work/mediana.out")
exact=$(Rscript -e 'cat(sprintf("%.4f", power.t.test(n = 50, delta = 0.5, sd = 1, sig.level = 0.025, alternative = "one.sided")$power))')
awk -v tp="$ts_power" -v tse="$ts_se" -v mp="$m_power" -v ms="$m_seconds" -v s="$start" -v e="$end" -v ex="$exact" 'BEGIN {
  ts = e - s
  printf "| program | power | seconds (1 core, 10,000 trials) |\n|---|---|---|\n"
  printf "| trialsim (Welch t) | %.4f ± %.4f | %.3f |\n", tp, tse, ts
  printf "| Mediana %s (TTest) | %.4f | %.3f |\n", "1.0.8", mp, ms
  printf "\nexact power (R power.t.test): %s; Mediana takes %.0f times as long as trialsim\n", ex, ms / ts
}'
