#!/usr/bin/env python
"""When ``auto`` buys the single removals: a unanimous linear vote against a weighed one.

At its second stage ``auto`` buys the n + 1 single removals when ProxySPEX chose its linear
model and that model explains a good share of the game. ProxySPEX often averages five fits
whose choices disagree. Two rules are compared on the same games, budgets and seeds:

* ``unanimous``: every averaged fit chose linear (``auto`` until session 23);
* ``weighed``: most fits chose linear and cross-validated R² x their share >= 0.25
  (:func:`spexkit.solvers.auto.linear_share`, as shipped).

The games are the planted classes of ``benchmarks/real_games.py`` (n = 100; hierarchical
Möbius: 30 AND terms of degree <= 4; parities: 15 terms of degree <= 3), on instances that
benchmark does not use (seeds 3-12 by default), at 300 calls and solver seed 0. R² is held
out: 1,000 uniform masks against the noiseless truth.

Usage::

    .venv/bin/python benchmarks/auto_vote.py             # 20 games x 2 rules, about 10 min

Writes benchmarks/results/auto_vote.json and prints a markdown table (docs/solvers.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from real_games import PLANTED_CLASSES, planted_class_game  # noqa: E402

#: the names this script prints, and real_games.py's classes they stand for
CLASSES = {"mobius": "planted_mobius", "fourier": "planted_fourier"}


def run(classes: list[str], seeds: list[int], budget: int) -> list[dict]:
    import spexkit.solvers.auto as auto_module
    from spexkit.masks import uniform_masks
    from spexkit.metrics import r2_score
    weighed = auto_module.linear_share
    rules = {"unanimous": lambda meta: float(weighed(meta) == 1.0), "weighed": weighed}
    test = uniform_masks(100, 1000, keep=0.5, seed=777)
    rows = []
    for cls in classes:
        degree = PLANTED_CLASSES[CLASSES[cls]]["max_degree"]
        for seed in seeds:
            game = planted_class_game(CLASSES[cls], 100, seed)
            truth = game.noiseless(test)
            row = {"class": cls, "seed": seed}
            for name, rule in rules.items():
                auto_module.linear_share = rule  # the rule the stage loop consults
                try:
                    res = auto_module.auto(game, budget=budget, max_degree=degree, seed=0)
                finally:
                    auto_module.linear_share = weighed
                row[name] = {"r2": r2_score(truth, res.predict(test)),
                             "switched": res.metadata["auto"]["chosen"] == "additive_plus"}
            rows.append(row)
            print(f"{cls:8s} seed {seed:3d}  unanimous {row['unanimous']['r2']:.4f}"
                  f"{' (singles)' if row['unanimous']['switched'] else ''}  weighed {row['weighed']['r2']:.4f}"
                  f"{' (singles)' if row['weighed']['switched'] else ''}", flush=True)
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| class | unanimous vote | weighed vote | switches | change per game |", "|---|---|---|---|---|"]
    for cls in dict.fromkeys(r["class"] for r in rows):
        sub = [r for r in rows if r["class"] == cls]
        u = np.array([r["unanimous"]["r2"] for r in sub])
        w = np.array([r["weighed"]["r2"] for r in sub])
        d = w - u
        lines.append(f"| {cls} | {u.mean():.3f} ± {u.std():.3f} | {w.mean():.3f} ± {w.std():.3f} | "
                     f"{sum(r['unanimous']['switched'] for r in sub)} → {sum(r['weighed']['switched'] for r in sub)}"
                     f" of {len(sub)} | {d.mean():+.3f} mean; up on {int(np.sum(d > 1e-4))}, down on "
                     f"{int(np.sum(d < -1e-4))} (range {d.min():+.3f} to {d.max():+.3f}) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--classes", default="mobius,fourier")
    p.add_argument("--seeds", default="3-12", help="instance seeds, a range a-b or a comma list")
    p.add_argument("--budget", type=int, default=300)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "auto_vote.json"))
    args = p.parse_args(argv)
    if "-" in args.seeds:
        lo, hi = map(int, args.seeds.split("-"))
        seeds = list(range(lo, hi + 1))
    else:
        seeds = [int(s) for s in args.seeds.split(",")]
    t0 = time.perf_counter()
    load = list(os.getloadavg())
    rows = run([c.strip() for c in args.classes.split(",")], seeds, args.budget)
    md = table(rows)
    print(md)
    report = {"benchmark": "auto_vote", "budget": args.budget, "seeds": seeds, "machine": platform.platform(),
              "load_average": [load, list(os.getloadavg())], "seconds": time.perf_counter() - t0,
              "rows": rows, "table_markdown": md}
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
