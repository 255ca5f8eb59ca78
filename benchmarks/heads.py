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
Writes a table to stdout and JSON to ``benchmarks/results/heads.json``.
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


def additive_surrogate(game, base_mask=None):
    """The additive surrogate of the n single-head ablations (n + 1 queries)."""
    import spexkit

    n = game.n_players
    masks = np.ones((n + 1, n), dtype=bool)
    masks[np.arange(1, n + 1), np.arange(n)] = False
    vals = game(masks)
    terms = [()] + [(i,) for i in range(n)]
    # f(m) = f(1) - sum over removed i of (f(1) - f(1 - e_i)), written in the Möbius basis
    drops = vals[0] - vals[1:]
    coefs = [vals[0] - float(drops.sum())] + list(drops)
    return spexkit.Interactions(terms, coefs, n, basis="mobius", labels=game.labels,
                                metadata={"method": "additive", "queries": n + 1})


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
    args = parser.parse_args(argv)
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
