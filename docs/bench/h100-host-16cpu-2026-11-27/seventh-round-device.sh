#!/bin/bash
# target/dev/device.sh THREADS ROUNDS: alternating before/after timings on one machine.
#  curves: base (3234b1c) vs now; sensitivity: head (d00d9a1) vs now; --mc-se: base vs now.
th=$1; rounds=$2
out=${OUT:-/tmp/devout}; mkdir -p $out
D=target/dev
tmp=$(mktemp -d)
nproc > $out/nproc.txt; lscpu > $out/lscpu.txt 2>/dev/null
names="bench_simtrial_fixed jia_withdrawal_dropout jia_mtx_withdrawal sle_hcq_withdrawal jia_jadas27 sle_time_to_flare"
for name in $names; do
  f=scenarios/$name.toml
  sizes=$(python3 - "$f" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'^n_per_arm\s*=\s*(\[[^\]]*\]|\d+)', text, re.M)
ns = [int(x) for x in re.findall(r'\d+', m.group(1))]
lo, hi = (min(ns), max(ns)) if len(ns) > 1 else (max(2, ns[0] // 2), ns[0] * 2)
pts = sorted({round(lo + (hi - lo) * k / 9) for k in range(10)})
k = 1
while len(pts) < 10:
    pts = sorted(set(pts) | {hi + k}); k += 1
print("[" + ", ".join(map(str, pts)) + "]")
PY
)
  sed -E "s/^n_per_arm *=.*/n_per_arm = $sizes/" "$f" | sed '/^\[sensitivity\]/,$d' > $tmp/$name.toml
done
t() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); awk -v a=$s -v b=$e 'BEGIN{printf "%.3f", b-a}'; }
for r in $(seq 1 $rounds); do
  for name in $names; do
    for b in base now; do
      echo "curve $name $b $(t $D/$b run --quiet --threads $th --replicates 10000 --out $tmp/o $tmp/$name.toml)"
    done
  done
  for s in jia_randomized_withdrawal:40:20000 sle_sledai_addon:40:50000; do
    IFS=: read name n reps <<< "$s"
    for b in head now; do
      echo "sensitivity $name $b $(t $D/$b sensitivity --quiet --threads $th --n $n --replicates $reps --out $tmp/s scenarios/$name.toml)"
    done
  done
  for b in base now; do
    echo "mcse sle_time_to_flare $b $(t $D/$b run --quiet --threads $th --mc-se 0.003 --replicates 40000 --out $tmp/m $tmp/sle_time_to_flare.toml)"
  done
done | tee $out/alternating.txt
