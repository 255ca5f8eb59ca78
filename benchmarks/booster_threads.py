"""ProxySPEX's booster: fit time on one thread against every core, idle and with busy cores.

Why ``spexkit.solvers.proxyspex.booster.PARALLEL_MIN_ENTRIES`` exists: LightGBM's OpenMP
threads wait on each other, and when the cores are busy elsewhere (a model in another
process, a second job) a small fit can take tens of times longer on every core than on one.
The fits use ProxySPEX's own settings (1,000 trees of depth 4) on 0/1 masks at keep 0.8.

Prints a table and writes benchmarks/results/booster_threads.json (or --out). ``--busy``
also times every size while another process keeps the cores busy with matrix products.

Run: .venv/bin/python benchmarks/booster_threads.py --busy
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spexkit.solvers.proxyspex.booster import PARALLEL_MIN_ENTRIES, default_booster_params  # noqa: E402

SIZES = [(60, 8), (300, 30), (1000, 100), (500, 270), (1000, 270), (1000, 1000), (3000, 1000)]
BUSY = "import numpy as np, time\na = np.random.rand(800, 800)\nt = time.time()\nwhile time.time() - t < {s}:\n    a @ a\n"


def fit_seconds(X: np.ndarray, y: np.ndarray, n_jobs, repeats: int) -> float:
    import lightgbm as lgb

    params = dict(default_booster_params(4, X.shape[0], 0), n_jobs=n_jobs)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        lgb.LGBMRegressor(**params).fit(X, y)
        best = min(best, time.perf_counter() - t0)
    return float(best)


def run(sizes, repeats: int, busy: bool) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    helper = None
    if busy:  # every core of this machine, for longer than the timings take
        helper = subprocess.Popen([sys.executable, "-c", BUSY.format(s=600)],
                                  env=dict(os.environ, OMP_NUM_THREADS=str(os.cpu_count())))
        time.sleep(2)
    try:
        for N, n in sizes:
            X = (rng.random((N, n)) < 0.8).astype(np.float32)
            y = X[:, :10].sum(1) + 2.0 * X[:, 0] * X[:, 1] + rng.normal(scale=0.1, size=N)
            one = fit_seconds(X, y, 1, repeats)
            every = fit_seconds(X, y, None, repeats)
            rows.append({"samples": N, "parts": n, "entries": N * n, "one_thread_s": one, "every_core_s": every,
                         "chosen": "one thread" if N * n < PARALLEL_MIN_ENTRIES else "every core"})
    finally:
        if helper is not None:
            helper.kill()
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--busy", action="store_true", help="also time with the cores busy in another process")
    p.add_argument("--repeats", type=int, default=2, help="best of this many fits per cell")
    p.add_argument("--quick", action="store_true", help="two small sizes, one fit each (what the test runs)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "booster_threads.json"))
    args = p.parse_args(argv)
    result = {"benchmark": "booster_threads", "cpu_count": os.cpu_count(), "platform": platform.platform(),
              "load_average_start": os.getloadavg(), "parallel_min_entries": PARALLEL_MIN_ENTRIES,
              "quick": args.quick}
    sizes, repeats = (SIZES[:2], 1) if args.quick else (SIZES, args.repeats)
    result["idle"] = run(sizes, repeats, busy=False)
    if args.busy:
        result["busy"] = run(sizes, repeats, busy=True)
    result["load_average_end"] = os.getloadavg()
    for mode in ("idle", "busy"):
        if mode not in result:
            continue
        print(f"\n{mode}: seconds per fit (1,000 trees), best of {repeats}")
        print(f"{'samples':>8}{'parts':>7}{'one thread':>12}{'every core':>12}{'ratio':>8}  chosen")
        for r in result[mode]:
            print(f"{r['samples']:>8}{r['parts']:>7}{r['one_thread_s']:>12.3f}{r['every_core_s']:>12.3f}"
                  f"{r['every_core_s'] / r['one_thread_s']:>8.2f}  {r['chosen']}")
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
