"""The ``spexkit`` command: headless runs, result inspection and a demo.

Exit codes: 0 success, 1 the run failed (a model error, a non-finite value), 2 bad usage
or input (unknown lens, method or file, budget too small).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from .validation import NonFiniteValueError


class UsageError(Exception):
    """Bad command-line input: exit code 2."""


def _parse_option(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise UsageError(f"--option expects key=value, got {text!r}")
    key, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key, value


def _build_game(args):
    import spexkit
    from spexkit.planted import planted_game

    if args.lens and args.game:
        raise UsageError("give either --lens or --game, not both")
    if args.game:
        if args.game != "planted":
            raise UsageError(f"unknown --game {args.game!r}; the built-in game is 'planted'")
        return planted_game(args.players, n_terms=args.terms, max_degree=args.degree, seed=args.game_seed,
                            basis=args.basis, hierarchical=args.hierarchical, snr_db=args.snr_db)
    if not args.lens:
        raise UsageError("say what to explain: --lens NAME --input TEXT, or --game planted")
    lenses = spexkit.available_lenses()
    if args.lens not in lenses:
        known = ", ".join(sorted(lenses)) or "none installed"
        raise UsageError(f"unknown lens {args.lens!r}; installed lenses: {known}")
    options = dict(_parse_option(o) for o in args.option)
    lens = lenses[args.lens](**options)
    if args.input is None:
        raise UsageError(f"lens {args.lens!r} needs --input")
    return lens.game(args.input)


def _check_output(path: str, flag: str, suffixes: tuple[str, ...] | None = None) -> None:
    """Refuse an output path that cannot be written before any model call is spent."""
    out = Path(path)
    if out.is_dir():
        raise UsageError(f"{flag} {path} is a folder; give a file name")
    if not out.parent.is_dir():
        raise UsageError(f"{flag} {path}: the folder {out.parent} does not exist")
    if suffixes is not None and out.suffix.lower() not in suffixes:
        raise UsageError(f"{flag} {path}: give a file ending in {', '.join(suffixes)}")


def _check_at_least(flag: str, value: int | None, minimum: int = 0) -> None:
    if value is not None and value < minimum:
        raise UsageError(f"{flag} must be {minimum} or more, got {value}")


def _check_run_args(args) -> None:
    """Everything that can be checked before the game is built and the model called."""
    _check_output(args.out, "--out")
    if args.plot:
        _check_output(args.plot, "--plot", (".png", ".pdf", ".svg", ".jpg", ".jpeg"))
    _check_at_least("--top", args.top)
    if args.game:
        if args.option:
            raise UsageError("--option sets a lens's arguments; it does not apply to --game")
        _check_at_least("--terms", args.terms)
        if args.snr_db is not None and not math.isfinite(args.snr_db):
            raise UsageError(f"--snr-db must be a finite number, got {args.snr_db}")
    elif args.lens and args.input is None:
        raise UsageError(f"lens {args.lens!r} needs --input")


def _run(args) -> int:
    import spexkit

    _check_run_args(args)
    game = _build_game(args)
    t0 = time.perf_counter()
    res = spexkit.explain(game, method=args.method, budget=args.budget, max_degree=args.max_degree,
                          seed=args.seed, cache=args.cache, batch_size=args.batch_size,
                          n_jobs=args.n_jobs, backend=args.backend, progress=not args.quiet)
    took = time.perf_counter() - t0
    Path(args.out).write_text(res.to_json())
    if args.plot:
        from spexkit.plots import plot_result

        plot_result(res, k=args.top, path=args.plot)
    if not args.quiet:
        print(f"{res.metadata['method']}: {res.metadata['queries']} queries, {took:.2f} s -> {args.out}")
        _print_top(res, args.top, None)
    return 0


def _print_top(res, k: int, order: int | None) -> None:
    rows = res.top(k, order=order)
    width = max([len(res.label(t)) for t, _ in rows] + [11])
    print(f"{'interaction':<{width}}  {'order':>5}  {'coefficient':>12}")
    for term, coef in rows:
        print(f"{res.label(term):<{width}}  {len(term):>5}  {coef:>12.6f}")


def _show(args) -> int:
    import spexkit

    path = Path(args.result)
    if not path.is_file():
        raise UsageError(f"no such result file: {path}")
    try:
        res = spexkit.Interactions.from_json(path.read_text())
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None
    _check_at_least("--top", args.top)
    _check_at_least("--order", args.order, 1)
    if args.basis and res.basis != args.basis:
        res = res.to(args.basis)
    meta = res.metadata
    print(f"{path.name}: {res.basis} basis, {res.n_players} players, {len(res)} terms, "
          f"method {meta.get('method', '?')}, {meta.get('queries', '?')} queries")
    _print_top(res, args.top, args.order)
    return 0


def _demo(args: argparse.Namespace) -> int:
    import spexkit
    from spexkit.planted import planted_game

    n = args.players
    if n < 3:
        raise UsageError(f"the demo plants interactions of degree up to 3: it needs --players 3 or more, got {n}")
    game = planted_game(n, n_terms=args.terms, max_degree=3, seed=args.seed)
    print(f"Planted game: {n} players, {args.terms} interactions of degree <= 3 (seed {args.seed}).")
    t0 = time.perf_counter()
    res = spexkit.explain(game, method=args.method, budget=args.budget, max_degree=3, seed=args.seed,
                          progress=False)
    took = time.perf_counter() - t0
    r2 = spexkit.evaluation.faithfulness(res, game, n_samples=2000, truth=game.noiseless)
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

    run = sub.add_parser("run", help="explain a lens's game (or a planted game) and save the result as JSON")
    what = run.add_argument_group("what to explain")
    what.add_argument("--lens", help="installed lens name (see spexkit.available_lenses())")
    what.add_argument("--input", help="the lens's input (a prompt, a test example, ...)")
    what.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                      help="lens constructor option; VALUE is parsed as JSON when it can be (repeatable)")
    what.add_argument("--game", help="built-in game instead of a lens: 'planted'")
    what.add_argument("--players", type=int, default=100, help="planted game: number of players (default 100)")
    what.add_argument("--terms", type=int, default=10, help="planted game: number of interactions (default 10)")
    what.add_argument("--degree", type=int, default=3, help="planted game: largest order (default 3)")
    what.add_argument("--basis", choices=["fourier", "mobius"], default="fourier", help="planted game basis")
    what.add_argument("--hierarchical", action="store_true", help="planted game: add sub-terms")
    what.add_argument("--snr-db", type=float, default=None, help="planted game: Gaussian noise level")
    what.add_argument("--game-seed", type=int, default=0, help="planted game: seed (default 0)")
    how = run.add_argument_group("how")
    how.add_argument("--method", default="auto", help="auto (default), exact, spex, proxyspex, additive_plus, "
                     "kernelshap, lime, banzhaf, lasso, or a method a plugin registered")
    how.add_argument("--budget", type=int, default=None, help="most value-function calls to spend")
    how.add_argument("--max-degree", type=int, default=None, help="highest interaction order to look for")
    how.add_argument("--seed", type=int, default=0, help="random seed of the method (default 0)")
    how.add_argument("--cache", default=None, help="SQLite file: reuse and store every evaluated value (resumable)")
    how.add_argument("--batch-size", type=int, default=None, help="masks per call of the model")
    how.add_argument("--n-jobs", type=int, default=1, help="parallel workers (joblib)")
    how.add_argument("--backend", default=None, help="joblib backend: loky, threading, dask")
    out = run.add_argument_group("output")
    out.add_argument("--out", required=True, help="result file (JSON)")
    out.add_argument("--plot", default=None, help="also save a figure (PNG) of Shapley values and top interactions")
    out.add_argument("--top", type=int, default=10, help="interactions to print (default 10)")
    out.add_argument("--quiet", action="store_true", help="no progress bar, no table")
    run.set_defaults(func=_run)

    show = sub.add_parser("show", help="print the top interactions of a saved result")
    show.add_argument("result", help="result JSON written by 'spexkit run' or Interactions.to_json()")
    show.add_argument("--top", type=int, default=10, help="rows to print (default 10)")
    show.add_argument("--order", type=int, default=None, help="only interactions of this order")
    show.add_argument("--basis", choices=["fourier", "mobius"], default=None, help="convert before ranking")
    show.set_defaults(func=_show)

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
    except UsageError as exc:
        print(f"spexkit: error: {exc}", file=sys.stderr)
        return 2
    except NonFiniteValueError as exc:
        print(f"spexkit: run failed: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        # Bad input caught by validation (budget too small, unknown method, corrupt cache...).
        print(f"spexkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spexkit: interrupted (finished batches are kept in the cache, if one was given)", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - report, don't dump a traceback on users
        print(f"spexkit: run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
