"""The ``spexkit`` command."""

from __future__ import annotations

import argparse
import sys
import time


def _demo(args: argparse.Namespace) -> int:
    import spexkit
    from spexkit.games import planted_game

    n = args.players
    game = planted_game(n, n_terms=args.terms, max_degree=3, seed=args.seed)
    method = args.method
    print(f"Planted game: {n} players, {args.terms} interactions of degree <= 3 (seed {args.seed}).")
    t0 = time.perf_counter()
    res = spexkit.explain(game, method=method, budget=args.budget, max_degree=3, seed=args.seed,
                          progress=False)
    took = time.perf_counter() - t0
    r2 = spexkit.metrics.faithfulness(res, game, n_samples=2000, truth=game.noiseless)
    print(f"Method {res.metadata['method']}: {res.metadata['queries']} queries, {took:.2f} s, held-out R² {r2:.6f}")
    print(f"{'interaction':<24}{'recovered':>12}{'planted':>12}")
    truth = dict(zip(game.truth.terms, game.truth.coefficients))
    for term, coef in res.top(args.terms):
        print(f"{res.label(term):<24}{coef:>12.4f}{truth.get(term, 0.0):>12.4f}")
    exact = set(t for t, _ in res.top(len(res))) == set(truth)
    print("All planted interactions recovered." if exact else "Recovery differs from the planted game.")
    return 0 if exact else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spexkit", description="Find the few interactions that drive a model's output.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="recover a planted sparse game and print its interactions")
    demo.add_argument("--players", type=int, default=1000, help="number of players (default 1000)")
    demo.add_argument("--terms", type=int, default=15, help="number of planted interactions (default 15)")
    demo.add_argument("--method", default="spex", help="solver (default: spex)")
    demo.add_argument("--budget", type=int, default=700, help="query budget (default 700)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError) as exc:
        print(f"spexkit: error: {exc}", file=sys.stderr)
        return 2
