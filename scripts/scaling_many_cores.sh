#!/usr/bin/env bash
# Thread scaling on a many-core machine, in one call (README "Many cores").
#
#   scripts/scaling_many_cores.sh BIN OUTDIR [MAX_THREADS] [REPLICATES]
#
# 1. `trialsim bench` twice, minutes apart, so the machine's own noise shows.
# 2. The same single-threaded run as 1, 2, 4, ... independent processes at
#    once. Processes share nothing in software (no pool, no lock, no merge),
#    so whatever throughput per process they lose as their number grows is
#    the machine's (shared caches, memory, clock, neighbours), and it bounds
#    what any thread pool could reach there.
# Writes lscpu.txt, run1.md, run2.md, workloads1.csv, workloads2.csv,
# scaling1.png, scaling2.png and processes.md into OUTDIR.
set -euo pipefail
bin=${1:?usage: $0 BIN OUTDIR [MAX_THREADS] [REPLICATES]}
out=${2:?usage: $0 BIN OUTDIR [MAX_THREADS] [REPLICATES]}
max=${3:-$(nproc)}
reps=${4:-100000}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

lscpu >"$out/lscpu.txt" 2>&1 || echo "lscpu unavailable" >"$out/lscpu.txt"

for run in 1 2; do
    "$bin" bench --max-threads "$max" --replicates "$reps" --out "$work/b$run" \
        >"$out/run$run.md"
    cp "$work/b$run/bench/workloads.csv" "$out/workloads$run.csv"
    cp "$work/b$run/bench/scaling.png" "$out/scaling$run.png"
    if [ "$run" = 1 ]; then
        # The process-level comparison sits between the two benches.
        scenario=scenarios/reference_sle_ancova_30.toml
        preps=$((reps * 10))
        {
            echo "Independent single-threaded processes, each running"
            echo "\`$bin run --quiet --threads 1 --replicates $preps $scenario\`;"
            echo "wall seconds from the first start to the last exit:"
            echo
            echo "| processes | wall s | throughput vs 1 process | per-process efficiency |"
            echo "|---|---|---|---|"
        } >"$out/processes.md"
        t1=""
        k=1
        while [ "$k" -le "$max" ]; do
            start=$(date +%s.%N)
            for i in $(seq 1 "$k"); do
                "$bin" run --quiet --threads 1 --replicates "$preps" \
                    --out "$work/p$k-$i" "$scenario" &
            done
            wait
            end=$(date +%s.%N)
            wall=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
            [ -z "$t1" ] && t1=$wall
            awk -v k="$k" -v w="$wall" -v t="$t1" \
                'BEGIN { printf "| %d | %.2f | %.2f | %.2f |\n", k, w, k * t / w, t / w }' \
                >>"$out/processes.md"
            k=$((k * 2))
        done
    fi
done
