#!/usr/bin/env python3
"""The textbook workload in numpy/scipy, vectorised, one core: two arms of 50,
change ~ N(0, 1) under control and N(-0.5, 1) under MSC, Welch t-test at
two-sided 0.05, 800,000 trials. Prints power and trials per second.

Run by scripts/compare_numpy.sh against `trialsim run` on the same workload
(scenarios/textbook_continuous.toml at n = 50), both as whole processes.
Written to be fast: chunks of 20,000 trials, float64, numpy's default
generator (PCG64 with its ziggurat normals), means and variances by hand and
only the t distribution's tail from scipy.
"""
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy import special  # noqa: E402

TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 800_000
N = 50
EFFECT = -0.5
CHUNK = 20_000


def main():
    start = time.perf_counter()
    rng = np.random.default_rng(1)
    rejected = 0
    done = 0
    while done < TRIALS:
        m = min(CHUNK, TRIALS - done)
        msc = rng.standard_normal((m, N))
        msc += EFFECT
        control = rng.standard_normal((m, N))
        mean_a = msc.mean(axis=1)
        mean_b = control.mean(axis=1)
        var_a = msc.var(axis=1, ddof=1)
        var_b = control.var(axis=1, ddof=1)
        se2_a = var_a / N
        se2_b = var_b / N
        se2 = se2_a + se2_b
        t = (mean_a - mean_b) / np.sqrt(se2)
        df = se2 * se2 / (se2_a * se2_a / (N - 1) + se2_b * se2_b / (N - 1))
        p = 2.0 * special.stdtr(df, -np.abs(t))
        rejected += int(np.count_nonzero(p < 0.05))
        done += m
    seconds = time.perf_counter() - start
    power = rejected / TRIALS
    se = (power * (1 - power) / TRIALS) ** 0.5
    print(f"numpy/scipy: {TRIALS} trials, power {power:.4f} (MC SE {se:.4f}), "
          f"{seconds:.2f} s, {TRIALS / seconds:.0f} trials/s")


if __name__ == "__main__":
    main()
