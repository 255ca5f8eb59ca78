"""The first result a user sees: does the top interaction's counterfactual check hold?

The quickstart, ``make demo`` and the feature widget explain SmolLM2's sentiment margin
(logit "positive" - logit "negative") on a shipped prompt, then remove the top interaction's
words on the real model and compare with the surrogate. A check *holds* when the
surrogate's prediction is within 20% of the model's change from the full prompt
(:func:`spexkit.widgets.check_holds`).

1. **Quickstart prompt** (12 words, so all 2^12 = 4,096 masked prompts are known): the
   values ship in ``benchmarks/data/quickstart_values.npy`` (SmolLM2-135M-Instruct, CPU,
   float32; ``--rebuild-table`` recomputes them, about 20 minutes on 2 busy cores). Every
   setting runs on seeds 0-9 against this table, so the check and the held-out R² (2,000
   keep-0.8 masks) are exact and free.
2. **The widget's and the demo's review** (35 words): the model runs for real (values cached
   in SQLite, ``--cache``); ``--review-seeds`` seeds (default 3) per setting.

Usage::

    .venv/bin/python benchmarks/first_result.py                 # both parts
    .venv/bin/python benchmarks/first_result.py --only quickstart

Writes ``benchmarks/results/first_result.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spexkit  # noqa: E402
from spexkit.masks import all_masks, mask_codes, uniform_masks  # noqa: E402
from spexkit.metrics import r2_score  # noqa: E402
from spexkit.widgets import check_holds  # noqa: E402

TABLE = ROOT / "benchmarks" / "data" / "quickstart_values.npy"
QUICKSTART_TEXT = "The plot is thin, but the acting is not bad at all."
QUICKSTART_TEMPLATE = "Review: {text}\nIs this review positive or negative? Answer:"
# (label, method, budget, max_degree): the former defaults first, then the current ones
QUICKSTART_SETTINGS = [
    ("before: proxyspex, degree 2, 300", "proxyspex", 300, 2),
    ("auto, 300 (the quickstart until session 17)", "auto", 300, None),
    ("auto, 500 (the quickstart in session 17)", "auto", 500, None),
    ("now: auto, 700", "auto", 700, None),
    ("proxyspex, degree 4, 300", "proxyspex", 300, 4),
]
REVIEW_SETTINGS = [
    ("widget: auto, degree 4, 500", "auto", 500, 4),
    ("demo: auto, 300", "auto", 300, None),
    ("the widget's advice: auto, 1000", "auto", 1000, 4),
]


def quickstart_lens():
    from lenses.features import FeatureLens

    lens = FeatureLens(model="smollm2", value="margin", labels=("positive", "negative"))
    return lens, lens.game(QUICKSTART_TEXT, template=QUICKSTART_TEMPLATE)


def table_game(values: np.ndarray) -> spexkit.Game:
    """The quickstart game answered from its exact table (masks in ``all_masks`` order)."""
    n = int(np.log2(values.size))

    def fn(masks):
        return values[mask_codes(masks)]

    return spexkit.Game(fn, n_players=n, keep=0.8)


def check(res, fn, n: int, order: int | None) -> dict:
    """The top term (of ``order``, or the top non-constant one) removed: surrogate vs model."""
    mob = res.to("mobius")
    top = mob.top(1, order=order) if order else [t for t in mob.top(2) if t[0]][:1]
    if not top:
        return {"term": None, "holds": False}
    term = list(top[0][0])
    mask = np.ones((1, n), bool)
    mask[0, term] = False
    full = float(res.predict(np.ones((1, n), bool))[0])
    predicted, actual = float(res.predict(mask)[0]), float(fn(term))
    return {"term": mob.label(tuple(term)), "predicted": predicted, "actual": actual,
            "holds": check_holds(predicted, actual, full),
            "off": abs(predicted - actual) / max(abs(actual - full), abs(predicted - full), 1e-12)}


def run_quickstart(seeds: list[int], rebuild: bool) -> dict:
    if rebuild or not TABLE.exists():
        lens, game = quickstart_lens()
        t0 = time.perf_counter()
        TABLE.parent.mkdir(parents=True, exist_ok=True)
        np.save(TABLE, spexkit.execution.Evaluator(game, progress=True)(all_masks(game.n_players)))
        print(f"table rebuilt in {time.perf_counter() - t0:.0f} s")
    values = np.load(TABLE)
    game = table_game(values)
    n = game.n_players
    test = uniform_masks(n, 2000, keep=0.8, seed=12345)
    truth = game.fn(test)

    def removed_value(term):
        mask = np.ones((1, n), bool)
        mask[0, term] = False
        return game.fn(mask)[0]

    rows = []
    for label, method, budget, degree in QUICKSTART_SETTINGS:
        for seed in seeds:
            res = spexkit.explain(game, method=method, budget=budget, max_degree=degree, seed=seed, progress=False)
            rows.append({"setting": label, "seed": seed, "queries": int(res.metadata["queries"]),
                         "r2": r2_score(truth, res.predict(test)),
                         "pair": check(res, removed_value, n, 2), "top": check(res, removed_value, n, None)})
        _print_rows([r for r in rows if r["setting"] == label])
    return {"rows": rows}


def run_review(seeds: list[int], cache: str) -> dict:
    from lenses.features import FeatureLens
    from lenses.features.examples import REVIEW, SENTIMENT_TEMPLATE

    lens = FeatureLens(model="smollm2", value="margin", labels=("positive", "negative"))
    game = lens.game(REVIEW, template=SENTIMENT_TEMPLATE)
    n = game.n_players
    test = uniform_masks(n, 300, keep=game.keep, seed=12345)
    truth = spexkit.execution.Evaluator(game, cache=cache, progress=False)(test)
    rows = []
    for label, method, budget, degree in REVIEW_SETTINGS:
        for seed in seeds:
            t0 = time.perf_counter()
            res = spexkit.explain(game, method=method, budget=budget, max_degree=degree, seed=seed,
                                  cache=cache, progress=False)
            rows.append({"setting": label, "seed": seed, "queries": int(res.metadata["queries"]),
                         "asked": int(res.metadata["asked"]), "time": time.perf_counter() - t0,
                         "r2": r2_score(truth, res.predict(test)),
                         "pair": check(res, lambda t: lens.evaluate(game, removed=t), n, 2),
                         "top": check(res, lambda t: lens.evaluate(game, removed=t), n, None)})
        _print_rows([r for r in rows if r["setting"] == label])
    return {"n_players": n, "holdout": {"masks": int(test.shape[0]), "keep": game.keep}, "rows": rows}


def _print_rows(rows: list[dict]) -> None:
    label = rows[0]["setting"]
    pair = [r["pair"]["holds"] for r in rows]
    top = [r["top"]["holds"] for r in rows]
    offs = " ".join(f"{r['pair'].get('off', np.nan):.2f}" for r in rows)
    r2 = [r["r2"] for r in rows if "r2" in r]
    extra = f", held-out R² {np.mean(r2):.3f} ± {np.std(r2):.3f}" if r2 else ""
    print(f"{label:<44} top pair holds {sum(pair)}/{len(pair)} (off by {offs}), "
          f"top term holds {sum(top)}/{len(top)}{extra}", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", choices=["quickstart", "review"], default=None)
    p.add_argument("--seeds", type=int, default=10, help="quickstart seeds (default 10)")
    p.add_argument("--review-seeds", type=int, default=3)
    p.add_argument("--rebuild-table", action="store_true")
    p.add_argument("--cache", default=str(Path.home() / ".cache" / "spexkit" / "bench-first-result.sqlite"))
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "first_result.json"))
    args = p.parse_args(argv)
    # --only reruns one part and keeps the other's results from the existing file
    out = json.loads(Path(args.out).read_text()) if args.only and Path(args.out).exists() else {}
    out.pop("review_note", None)
    if args.only in (None, "quickstart"):
        out["quickstart_load_average"] = list(os.getloadavg())
        out["quickstart"] = run_quickstart(list(range(args.seeds)), args.rebuild_table)
    if args.only in (None, "review"):
        Path(args.cache).parent.mkdir(parents=True, exist_ok=True)
        out["review_load_average"] = list(os.getloadavg())
        out["review"] = run_review(list(range(args.review_seeds)), args.cache)
        out["review"]["when"] = time.strftime("%Y-%m-%d %H:%M")
    Path(args.out).write_text(json.dumps(out, indent=1, default=float))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
