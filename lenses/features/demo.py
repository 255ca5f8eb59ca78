"""Demo of the feature lens: which words of a movie review make SmolLM2 call it positive.

Runs SmolLM2-135M-Instruct (offline) on a bundled review inside an instruction template,
explains the margin logit("positive") - logit("negative") with ``method="auto"`` (ProxySPEX
here), prints the top interactions, checks the strongest one on the real model (whether the
surrogate's prediction holds within 20% of the model's change), and writes a PNG (segments
coloured by Shapley value, top interactions, interaction network).

    python -m lenses.features.demo [--budget 300] [--out features_demo.png]
"""

from __future__ import annotations

import argparse
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lenses.features.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=300, help="model queries (default 300: a few minutes on 2 cores)")
    parser.add_argument("--method", default="auto", help="solver (default auto: ProxySPEX, or a linear fit when "
                        "cross-validation prefers it)")
    parser.add_argument("--max-degree", type=int, default=None, help="highest order (default: the method's, 4 for ProxySPEX)")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--out", default="features_demo.png", help="PNG to write")
    args = parser.parse_args(argv)

    import numpy as np

    import spexkit
    from spexkit import plots
    from spexkit.widgets import check_holds

    from .examples import REVIEW, SENTIMENT_TEMPLATE
    from .lens import FeatureLens

    t0 = time.perf_counter()
    lens = FeatureLens(model=args.model, value="margin", labels=("positive", "negative"))
    game = lens.game(REVIEW, template=SENTIMENT_TEMPLATE)
    print(f"Model {args.model} loaded and prompt prepared in {time.perf_counter() - t0:.1f} s.")
    print(f"Review ({game.n_players} words): {REVIEW}")
    full = lens.evaluate(game, removed=[])
    print(f"Value: logit('positive') - logit('negative') after the instruction = {full:+.3f}")
    t0 = time.perf_counter()
    res = spexkit.explain(game, method=args.method, budget=args.budget, max_degree=args.max_degree,
                          seed=args.seed)
    took = time.perf_counter() - t0
    mob = res.to("mobius")
    print(f"{res.metadata['method']}: {res.metadata['queries']} queries in {took:.0f} s "
          f"({res.metadata['queries'] / took:.2f} queries/s)")
    rows = [(t, c) for t, c in mob.top(args.top + 1) if t][: args.top]
    width = max([len(mob.label(t)) for t, _ in rows] + [11])
    print(f"{'interaction':<{width}}  {'order':>5}  {'Möbius coef':>11}")
    for term, coef in rows:
        print(f"{mob.label(term):<{width}}  {len(term):>5}  {coef:>+11.3f}")
    shap = res.shapley()
    best = np.argsort(-np.abs(shap))[:5]
    names = res.display_labels  # a repeated word carries its position, e.g. "about (14)"
    print("Largest Shapley values: " + ", ".join(f"{names[i]} {shap[i]:+.3f}" for i in best))
    if rows:
        term = rows[0][0]
        mask = np.ones((1, game.n_players), bool)
        mask[0, list(term)] = False
        predicted, actual = float(res.predict(mask)[0]), lens.evaluate(game, removed=list(term))
        holds = check_holds(predicted, actual, float(res.predict(np.ones((1, game.n_players), bool))[0]))
        print(f"Counterfactual: remove {mob.label(term)} -> surrogate {predicted:+.3f}, model {actual:+.3f}: "
              + ("the check holds" if holds else "the check does not hold (more than 20% off): "
                 "raise --budget"))

    # The coloured review on top, fitted to the lines it wraps into, the charts right below.
    plots.plot_overview(mob, values=shap, k=args.top, path=args.out,
                        title="Shapley value of each word for logit('positive') - logit('negative')")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
