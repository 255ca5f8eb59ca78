#!/usr/bin/env python
"""SPEX under noise at the budgets where it is exact without noise, seed by seed.

The games are those of ``benchmarks/solvers.py`` (its ``make_game``): c1 (n = 1000, 15 terms
of degree <= 3), c2 (10 pairs), c2b (10 pairs + their 20 main effects; key ``c2m``). Each runs
at its reference budget (700, 450, 700: exact without noise on every seed) and at the
smallest budgets the noiseless benchmark reports (500, 300, 1000), with Gaussian noise at
20 dB SNR (same truth) and without noise, twice per seed:

* ``plain``: ``spex(..., robust=False)``, plain peeling — bit for bit the decoder before the
  noise-robust stage was added;
* ``robust``: ``spex(...)`` as shipped (plain peeling, then the robust stage when energy is
  left; docs/design.md section 6).

R² is held-out (2 000 fresh uniform masks) against the noiseless truth, as in
``benchmarks/solvers.py``. Both decoders see the same queries (same design, same noise
draws). A summary at 10 and 30 dB shows how each degrades.

Usage::

    .venv/bin/python benchmarks/spex_noise.py                 # 10 seeds, about a minute
    .venv/bin/python benchmarks/spex_noise.py --seeds 5 --no-snr-sweep

Writes benchmarks/results/spex_noise.json and prints markdown tables (docs/benchmarks.md,
"SPEX under noise").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from solvers import CASES, R2_SAMPLES, make_game  # noqa: E402  (the same games)

import spexkit  # noqa: E402
from spexkit.evaluation import faithfulness  # noqa: E402
from spexkit.solvers.spex import spex  # noqa: E402

DEFAULT_OUT = REPO / "benchmarks" / "results" / "spex_noise.json"
R2_TARGET = 0.95
# (case key, budget, role): "reference" budgets are the target's (exact without noise on every
# seed); "smallest" are the smallest noiseless-exact budgets of the solvers benchmark.
RUNS = [("c1", 700, "reference"), ("c2", 450, "reference"), ("c2m", 700, "reference"),
        ("c1", 500, "smallest"), ("c2", 300, "smallest"), ("c2m", 1000, "smallest")]
SWEEP_SNR = (10.0, 30.0)


def one_run(case: dict, budget: int, seed: int, snr_db: float | None, robust: bool) -> dict:
    """R², exactness, queries and decoding time of one SPEX call."""
    game = make_game(case, seed, snr_db)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the low-variance warning of failed runs
        res = spex(game, budget=budget, max_degree=case["max_degree"], seed=seed, robust=robust)
    truth = game.truth
    exact = res.terms == truth.terms and bool(np.allclose(res.coefficients, truth.coefficients, atol=1e-6, rtol=0))
    robust_meta = res.metadata.get("robust") or {}
    final = robust_meta.get("final_regression") or {}
    return {"r2": float(faithfulness(res, game, n_samples=R2_SAMPLES, truth=game.noiseless)),
            "exact": exact, "queries": int(res.metadata["queries"]), "n_terms": len(res.terms),
            "decoding_s": float(res.metadata["time_decoding"]),
            "robust_ran": bool(robust_meta.get("ran")),
            "collisions_resolved": robust_meta.get("collisions_resolved"),
            "final_pool": final.get("pool"), "final_kept": final.get("kept")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    p.add_argument("--no-snr-sweep", action="store_true", help="skip the 10 / 30 dB summary")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="JSON output path")
    args = p.parse_args(argv)
    cases = {c["key"]: c for c in CASES}
    seeds = list(range(args.seeds))
    t_start = time.perf_counter()

    rows = []
    for key, budget, role in RUNS:
        case = cases[key]
        row = {"case": key, "label": case["label"], "budget": budget, "role": role}
        for snr_name, snr in (("noisy", 20.0), ("noiseless", None)):
            for dec in ("plain", "robust"):
                row[f"{snr_name}_{dec}"] = [one_run(case, budget, s, snr, dec == "robust") for s in seeds]
        rows.append(row)
        print(f"  {key} @ {budget}: done ({time.perf_counter() - t_start:.0f} s)", file=sys.stderr, flush=True)

    sweep = []
    if not args.no_snr_sweep:
        for key, budget, role in RUNS:
            if role != "reference":
                continue
            for snr in SWEEP_SNR:
                entry = {"case": key, "budget": budget, "snr_db": snr}
                for dec in ("plain", "robust"):
                    entry[dec] = [one_run(cases[key], budget, s, snr, dec == "robust")["r2"] for s in seeds]
                sweep.append(entry)

    def git(*cmd):  # read-only: which spexkit the numbers are for
        r = subprocess.run(["git", "-C", str(REPO), *cmd], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None

    report = {
        "meta": {"date": time.strftime("%Y-%m-%d %H:%M:%S"),
                 "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
                 "python": platform.python_version(), "numpy": np.__version__, "spexkit": spexkit.__version__,
                 "git_commit": git("rev-parse", "--short", "HEAD"),
                 # uncommitted changes under spexkit/ (e.g. another session's work in progress)
                 "spexkit_uncommitted_changes": (git("status", "--porcelain", "--", "spexkit") or "").splitlines(),
                 "seeds": seeds, "snr_db": 20.0, "r2_samples": R2_SAMPLES, "r2_target": R2_TARGET,
                 "total_seconds": None},
        "runs": rows, "snr_sweep": sweep,
    }
    report["meta"]["total_seconds"] = time.perf_counter() - t_start
    tables = make_tables(report)
    report["tables_markdown"] = tables
    print(tables)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nwrote {out.relative_to(REPO) if out.is_relative_to(REPO) else out} "
          f"({report['meta']['total_seconds']:.0f} s)")
    return 0


def make_tables(report: dict) -> str:
    seeds = report["meta"]["seeds"]
    lines = ["#### 20 dB SNR: held-out R² against the noiseless truth, per seed", "",
             "| case | budget (queries) | decoder | " + " | ".join(f"s{s}" for s in seeds) + " | min | ≥ 0.95 |",
             "|---|---|---|" + "---|" * len(seeds) + "---|---|"]
    for row in report["runs"]:
        for dec in ("plain", "robust"):
            runs = row[f"noisy_{dec}"]
            r2 = [r["r2"] for r in runs]
            budget = f"{row['budget']} ({max(r['queries'] for r in runs)} q){' †' if row['role'] == 'smallest' else ''}"
            lines.append(f"| {row['case']} | {budget} | {dec} | " + " | ".join(f"{x:.3f}" for x in r2)
                         + f" | {min(r2):.3f} | {sum(x >= R2_TARGET for x in r2)}/{len(r2)} |")
    lines += ["", "† the smallest noiseless-exact budget of the solvers benchmark (five seeds), not the target's.",
              "", "#### Without noise: exact recovery (same terms, coefficients within 1e-6)", "",
              "| case | budget (queries) | exact seeds: plain | robust | robust stage ran on | "
              "R² min: plain | robust | decoding max (s): plain | robust |", "|---|---|---|---|---|---|---|---|---|"]
    for row in report["runs"]:
        pl, rb = row["noiseless_plain"], row["noiseless_robust"]
        lines.append(f"| {row['case']} | {row['budget']} ({max(r['queries'] for r in rb)} q) | "
                     f"{sum(r['exact'] for r in pl)}/{len(pl)} | {sum(r['exact'] for r in rb)}/{len(rb)} | "
                     f"{sum(r['robust_ran'] for r in rb)} seeds | {min(r['r2'] for r in pl):.4f} | "
                     f"{min(r['r2'] for r in rb):.4f} | {max(r['decoding_s'] for r in pl):.3f} | "
                     f"{max(r['decoding_s'] for r in rb):.3f} |")
    lines += ["", "#### Robust stage at 20 dB (reference budgets)", "",
              "| case | budget | decoding median / max (s), plain | robust | collisions re-decoded (seeds) | "
              "final regression: terms ever accepted → kept (median) |", "|---|---|---|---|---|---|"]
    for row in report["runs"]:
        if row["role"] != "reference":
            continue
        pl, rb = row["noisy_plain"], row["noisy_robust"]
        pools = [(r["final_pool"], r["final_kept"]) for r in rb if r["final_pool"] is not None]
        pool_txt = (f"{np.median([a for a, _ in pools]):g} → {np.median([b for _, b in pools]):g}"
                    if pools else "–")
        lines.append(f"| {row['case']} | {row['budget']} | {np.median([r['decoding_s'] for r in pl]):.3f} / "
                     f"{max(r['decoding_s'] for r in pl):.3f} | {np.median([r['decoding_s'] for r in rb]):.3f} / "
                     f"{max(r['decoding_s'] for r in rb):.3f} | "
                     f"{sum(bool(r['collisions_resolved']) for r in rb)} | {pool_txt} |")
    if report["snr_sweep"]:
        lines += ["", "#### Other noise levels (reference budgets): R² min / median over the seeds", "",
                  "| case | budget | SNR (dB) | plain | robust |", "|---|---|---|---|---|"]
        for e in report["snr_sweep"]:
            lines.append(f"| {e['case']} | {e['budget']} | {e['snr_db']:g} | "
                         f"{min(e['plain']):.3f} / {np.median(e['plain']):.3f} | "
                         f"{min(e['robust']):.3f} / {np.median(e['robust']):.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
