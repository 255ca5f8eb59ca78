"""Heads lens benchmark: batched hook ablation throughput and faithfulness on SmolLM2.

    .venv/bin/python benchmarks/heads.py            # full run (CPU: ~10 minutes)
    .venv/bin/python benchmarks/heads.py --quick    # smaller budgets, for a smoke run

Measures
1. masks per second, many masks in one forward pass vs one forward pass per mask, for the
   270-head SmolLM2 game and for the shipped 2-layer induction model;
2. held-out R^2 on masks with ~10% of the heads ablated (uniform masks at keep=0.9) for
   ProxySPEX at 500 queries and for the additive surrogate made of the 270 single-head
   ablations, on repeated random token sequences (the induction task);
3. the heads found: top Shapley values and top Möbius interactions.
4. faithfulness on several draws of repeated random tokens (``--draws``): every method at the
   same budget of model calls, held-out R^2 on masks with ~10% of the heads ablated, and the
   margin over the additive surrogate of the single ablations (the bar a component method
   must clear on every draw, not only on one).
Writes a table to stdout and JSON to ``benchmarks/results/heads.json``
(``benchmarks/results/heads_draws.json`` for the draws).

    .venv/bin/python benchmarks/heads.py --only-draws --draws 0,1,2,3,4,5,6,7
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np


def throughput(game, n_masks: int, per_forward: int, seed: int = 0) -> float:
    """Masks per second for a game evaluated ``per_forward`` masks at a time."""
    rng = np.random.default_rng(seed)
    masks = rng.random((n_masks, game.n_players)) < game.keep
    game(masks[:1])  # warm-up
    t0 = time.perf_counter()
    for start in range(0, n_masks, per_forward):
        game(masks[start:start + per_forward])
    return n_masks / (time.perf_counter() - t0)


def additive_surrogate(game):
    """The additive surrogate of the n single-head ablations (n + 1 queries)."""
    import spexkit

    return additive_surrogate_cached(spexkit.execution.as_evaluator(game))


DRAW_METHODS = ("additive_plus", "proxyspex", "auto")


def faithful_draws(lens, draws, *, budget: int = 500, holdout: int = 300, half: int = 10,
                   cache: str | None = None, seeds=(0,), methods=DRAW_METHODS) -> dict:
    """Held-out R^2 of each method on each draw of repeated random tokens (one prompt each).

    Draw d is the prompt ``repeated_tokens(model, 1, half, seed=1000 + d)``; the reference
    batch for mean ablation is fixed. Every method gets ``budget`` model calls; the additive
    surrogate uses the n + 1 single ablations. Each method runs once per solver seed in
    ``seeds`` (its own random masks and folds); a method's ``r2`` is the mean over seeds, and
    ``r2_seeds`` lists them. Values go through ``cache`` (SQLite), so a rerun pays only for
    what it has not seen.
    """
    import spexkit
    from lenses.heads.induction import repeated_tokens

    model = lens.load().model_
    reference = repeated_tokens(model, 16, half, seed=1)
    positions = list(range(half + 2, 2 * half + 1))  # the predictable second copy
    rows = []
    for d in draws:
        prompt = repeated_tokens(model, 1, half, seed=1000 + d)
        game = lens.game(prompt, positions=positions, reference=reference)
        masks = spexkit.metrics.sample_masks(game.n_players, holdout, keep=0.9, seed=5000 + d)
        ev = spexkit.execution.Evaluator(game, cache=cache, progress=False)
        truth = ev(masks)
        additive = additive_surrogate_cached(ev)
        row = {"draw": d, "prompt": prompt.cpu().numpy().ravel().tolist(), "full_value": float(ev(
            np.ones((1, game.n_players), dtype=bool))[0]), "holdout_variance": float(truth.var()),
               "additive": {"r2": spexkit.metrics.r2_score(truth, additive.predict(masks)),
                            "queries": game.n_players + 1}}
        if ev.cache is not None:
            ev.cache.close()
        for method in methods:
            runs = []
            for seed in seeds:
                t0 = time.perf_counter()
                res = spexkit.explain(game, method=method, budget=budget, max_degree=3, seed=seed, cache=cache,
                                      progress=False)
                # budget: model calls the method spends; queries_paid: those not already in the cache
                run = {"seed": seed, "r2": spexkit.metrics.r2_score(truth, res.predict(masks)),
                       "queries_paid": int(res.metadata["queries"]), "seconds": time.perf_counter() - t0}
                if method == "additive_plus":
                    run["chosen"] = res.metadata["additive_plus"]["chosen"]
                    run["cv_r2"] = res.metadata["additive_plus"]["cv_r2"]
                    run["pairs_kept"] = res.metadata["additive_plus"]["pairs_kept"]
                if method == "auto":
                    run["chosen"] = res.metadata["auto"]["chosen"]
                runs.append(run)
            entry = {"r2": float(np.mean([r["r2"] for r in runs])), "budget": budget,
                     "queries_paid": sum(r["queries_paid"] for r in runs),
                     "seconds": sum(r["seconds"] for r in runs)}
            if len(runs) > 1:
                entry.update(r2_seeds=[r["r2"] for r in runs], seeds=list(seeds))
            for key in ("chosen", "cv_r2", "pairs_kept"):
                if key in runs[0]:
                    entry[key] = [r[key] for r in runs] if len(runs) > 1 else runs[0][key]
            row[method] = entry
        rows.append(row)
        print(f"draw {d}: additive {row['additive']['r2']:.3f} | "
              + " | ".join(f"{m} {row[m]['r2']:.3f}" for m in methods), flush=True)
    summary = {}
    for method in ("additive",) + tuple(methods):
        r2 = np.array([r[method]["r2"] for r in rows])
        margin = r2 - np.array([r["additive"]["r2"] for r in rows])
        summary[method] = {"mean_r2": float(r2.mean()), "min_r2": float(r2.min()), "std_r2": float(r2.std()),
                           "mean_margin_over_additive": float(margin.mean()),
                           "min_margin_over_additive": float(margin.min()),
                           "target_met_every_draw": bool(((r2 >= 0.8) & (margin >= 0.02)).all()),
                           "draws_meeting_target": int(((r2 >= 0.8) & (margin >= 0.02)).sum())}
        if method != "additive" and len(seeds) > 1:
            runs = np.array([r[method]["r2_seeds"] for r in rows])  # draws x seeds
            ok = (runs >= 0.8) & (runs - np.array([r["additive"]["r2"] for r in rows])[:, None] >= 0.02)
            summary[method].update(runs_meeting_target=int(ok.sum()), runs=int(ok.size),
                                   mean_seed_spread=float((runs.max(1) - runs.min(1)).mean()))
    return {"budget": budget, "holdout": holdout, "keep": 0.9, "seeds": list(seeds), "draws": rows,
            "summary": summary}


def additive_surrogate_cached(ev):
    """The additive surrogate of the n single ablations, through an evaluator (n + 1 queries)."""
    import spexkit
    from spexkit.solvers.additive_plus import single_removal_masks

    n = ev.game.n_players
    vals = ev(single_removal_masks(n))
    drops = vals[0] - vals[1:]
    terms = [()] + [(i,) for i in range(n)]
    return spexkit.Interactions(terms, [vals[0] - float(drops.sum())] + list(drops), n, basis="mobius",
                                labels=ev.game.labels, metadata={"method": "additive", "queries": n + 1})


def main(argv=None) -> None:
    import torch

    import spexkit
    from lenses.heads import HeadLens, induction_model
    from lenses.heads.induction import repeated_tokens

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--holdout", type=int, default=200)
    parser.add_argument("--out", default=str(Path(__file__).with_name("results") / "heads.json"))
    parser.add_argument("--draws", default="0,1,2,3,4", help="draws of repeated random tokens (section 4)")
    parser.add_argument("--only-draws", action="store_true", help="run section 4 only")
    parser.add_argument("--seeds", default="0", help="solver seeds for section 4, comma-separated")
    parser.add_argument("--methods", default=",".join(DRAW_METHODS), help="methods for section 4, comma-separated")
    parser.add_argument("--draws-out", default=str(Path(__file__).with_name("results") / "heads_draws.json"),
                        help="JSON path for section 4")
    parser.add_argument("--cache", default=str(Path(__file__).with_name("results") / ".heads_cache.sqlite"))
    args = parser.parse_args(argv)
    if args.only_draws:
        lens = HeadLens("smollm2", ablation="mean", value="logprob", batch_size=16)
        draws = [int(d) for d in args.draws.split(",")]
        report = faithful_draws(lens, draws, budget=args.budget, cache=args.cache,
                                seeds=[int(x) for x in args.seeds.split(",")], methods=args.methods.split(","))
        report.update({"machine": platform.processor() or platform.machine(), "threads": torch.get_num_threads()})
        print(f"\n270-head SmolLM2 game, budget {args.budget}, held-out R^2 on keep-0.9 masks, draws {draws}")
        print("| method | mean R^2 | min R^2 | mean margin over additive | min margin | draws meeting the target "
              "| (draw, seed) runs meeting it |")
        print("|---|---|---|---|---|---|---|")
        for m, v in report["summary"].items():
            runs = f"{v['runs_meeting_target']}/{v['runs']}" if "runs" in v else "-"
            print(f"| {m} | {v['mean_r2']:.3f} | {v['min_r2']:.3f} | {v['mean_margin_over_additive']:+.3f} | "
                  f"{v['min_margin_over_additive']:+.3f} | {v['draws_meeting_target']}/{len(draws)} | {runs} |")
        out = Path(args.draws_out)
        out.write_text(json.dumps(report, indent=2))
        print(f"wrote {out}")
        return
    budget = 150 if args.quick else args.budget
    holdout = 60 if args.quick else args.holdout
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rows, report = [], {"machine": platform.processor() or platform.machine(), "threads": torch.get_num_threads()}

    # -- 1. throughput -------------------------------------------------------------------
    model, tokens = induction_model()
    small = HeadLens(model, batch_size=64).game(tokens)
    small_one = throughput(small, 64, 1)
    small_batched = throughput(small, 256, 64)
    rows.append(("2-layer induction, masks/s", f"{small_one:.1f} one per forward",
                 f"{small_batched:.1f} batched (64/forward)", f"x{small_batched / small_one:.1f}"))

    t0 = time.perf_counter()
    lens = HeadLens("smollm2", ablation="mean", value="logprob", batch_size=16)
    model = lens.load().model_
    load_s = time.perf_counter() - t0
    half = 10
    prompt = repeated_tokens(model, 1, half, seed=0)
    reference = repeated_tokens(model, 16, half, seed=1)
    positions = list(range(half + 2, 2 * half + 1))  # the predictable second copy
    game = lens.game(prompt, positions=positions, reference=reference)
    big_one = throughput(game, 8 if args.quick else 16, 1)
    big_batched = throughput(game, 32 if args.quick else 64, 16)
    rows.append(("SmolLM2 270 heads, masks/s", f"{big_one:.2f} one per forward",
                 f"{big_batched:.2f} batched (16/forward)", f"x{big_batched / big_one:.1f}"))
    report["throughput"] = {"induction_one": small_one, "induction_batched": small_batched,
                            "smollm2_one": big_one, "smollm2_batched": big_batched, "smollm2_load_s": load_s,
                            "prompt_tokens": int(prompt.shape[1])}

    # -- 2. faithfulness at keep 0.9 ------------------------------------------------------
    masks = spexkit.metrics.sample_masks(270, holdout, keep=0.9, seed=123)
    t0 = time.perf_counter()
    truth = game(masks)
    holdout_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = spexkit.explain(game, method="proxyspex", budget=budget, max_degree=3, seed=0, progress=False)
    proxy_s = time.perf_counter() - t0
    additive = additive_surrogate(game)
    r2_proxy = spexkit.metrics.r2_score(truth, res.predict(masks))
    r2_add = spexkit.metrics.r2_score(truth, additive.predict(masks))
    rows.append(("held-out R^2, keep 0.9", f"ProxySPEX {r2_proxy:.3f} ({res.metadata['queries']} q)",
                 f"additive {r2_add:.3f} (271 q)", f"{holdout} masks"))
    # a proxy trained on uniform masks, evaluated on the same mostly-kept masks
    res_uniform = spexkit.explain(game, method="proxyspex", budget=budget, max_degree=3, seed=0, keep=0.5,
                                  progress=False)
    r2_uniform = spexkit.metrics.r2_score(truth, res_uniform.predict(masks))
    rows.append(("held-out R^2, keep 0.9", f"ProxySPEX trained at keep 0.5: {r2_uniform:.3f}", "", ""))

    mob = res.to("mobius")
    shap = res.shapley()
    top_heads = [(game.labels[i], float(shap[i])) for i in np.argsort(-np.abs(shap))[:8]]
    top_terms = [([game.labels[i] for i in t], float(c)) for t, c in mob.top(12) if len(t) >= 1]
    singles = sorted(((game.labels[t[0]], float(c)) for t, c in additive.top(271, order=1)),
                     key=lambda x: -abs(x[1]))[:8]
    report["faithfulness"] = {"budget": budget, "holdout": holdout, "keep": 0.9, "r2_proxyspex": r2_proxy,
                              "r2_additive": r2_add, "r2_proxyspex_trained_uniform": r2_uniform,
                              "proxyspex_s": proxy_s, "holdout_s": holdout_s,
                              "value_all_heads": float(game.value_of([]))}
    report["heads"] = {"top_shapley": top_heads, "top_mobius": top_terms, "top_single_ablations": singles}
    report["table"] = rows

    print(f"\nheads lens benchmark ({report['machine']}, {report['threads']} threads)")
    for r in rows:
        print(" | ".join(f"{c:<42}" for c in r))
    print("top Shapley heads:", ", ".join(f"{l} {v:+.3f}" for l, v in top_heads))
    print("top Möbius terms: ", "; ".join(f"{'x'.join(l)} {c:+.3f}" for l, c in top_terms))
    print("largest single-head ablations:", ", ".join(f"{l} {v:+.3f}" for l, v in singles))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
