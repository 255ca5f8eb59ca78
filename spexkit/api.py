"""``explain``: the one front door to every method."""

from __future__ import annotations

import time

import numpy as np

from .game import Game
from .interactions import Interactions
from .solvers import get_method
from .validation import check_budget, check_mask_memory, check_positive_int, check_probability, check_random_state, check_seed


def explain(
    game: Game,
    method: str = "auto",
    budget: int | None = None,
    max_degree: int | None = None,
    seed=None,
    keep: float | None = None,
    cache=None,
    batch_size: int | None = None,
    n_jobs: int = 1,
    backend: str | None = None,
    progress: bool | None = None,
    **options,
) -> Interactions:
    """Recover the interactions of ``game`` with the chosen method.

    Parameters
    ----------
    game : Game
        A :class:`spexkit.Game`, or a ``shapiq.Game`` (an imputer, a benchmark game...), which
        is wrapped by :func:`spexkit.shapiq_interop.game_from_shapiq`: its coalitions are our
        masks, its values are shapiq's (normalised: usually f(∅) = 0).
    method : ``"auto"``, ``"exact"``, ``"spex"``, ``"proxyspex"`` or a baseline name
        (``spexkit.solvers.available_methods()`` lists what is installed).
    budget : int, optional
        Most calls of the value function the method may pay for.
    max_degree : int, optional
        Highest interaction order to look for.
    seed : int or numpy.random.Generator, optional
    keep : float, optional
        Probability of keeping a part in sampled masks (default: ``game.keep``). Methods that
        draw their own masks (``exact``, ``spex``, ``banzhaf``, ``kernelshap``, ``lime``)
        ignore it and warn when it is given.
    cache : str or path, optional
        SQLite file that stores every evaluated value under the game's identity; a rerun (or
        another method) on the same game pays only for masks never evaluated. Each batch is
        committed as it finishes, so an interrupted run resumes where it stopped.
    batch_size : int, optional
        Masks handed to the game in one call (default: the game's, else 1024); at most the
        game's ``batch_size`` when it sets one.
    n_jobs, backend : joblib parallelism over batches; ``backend="dask"`` runs on the Dask
        cluster of the active ``distributed.Client``. Keep GPU games in-process.
    progress : bool or progress object, optional
        Show a progress bar (default: in Jupyter and interactive terminals); an object with
        ``start(total, desc)``, ``update(n)``, ``close()`` receives the progress instead.
    **options : passed to the method.

    Returns
    -------
    Interactions
        ``metadata["queries"]`` holds the number of value-function calls this run paid for.

    Examples
    --------
    >>> import spexkit
    >>> game = spexkit.Game(lambda m: 2.0 * (m[:, 0] & m[:, 2]), n_players=4)
    >>> res = spexkit.explain(game, method="exact")
    >>> res.metadata["queries"]
    16
    >>> res.to("mobius").top(1)
    [((0, 2), 2.0)]
    """
    if not isinstance(game, Game):
        from .shapiq_interop import game_from_shapiq, is_shapiq_game  # never imports shapiq itself

        if not is_shapiq_game(game):
            raise TypeError(f"explain() needs a spexkit.Game (or a shapiq.Game), got {type(game).__name__}")
        game = game_from_shapiq(game)
    budget = check_budget(budget)
    check_mask_memory(budget, game.n_players)
    if max_degree is not None:
        max_degree = check_positive_int(max_degree, "max_degree")
    rng = check_random_state(seed)
    solver = get_method(method)
    if keep is not None:
        options["keep"] = check_probability(keep, "keep")
    from .execution import Evaluator  # the engine loads on first use, not on `import spexkit`

    evaluator = Evaluator(game, batch_size=batch_size, progress=progress, desc=f"{method} queries",
                          cache=cache, n_jobs=n_jobs, backend=backend)
    t0 = time.perf_counter()
    unknown = _unknown_options(solver, options)
    if unknown:
        raise TypeError(f"explain(): method={method!r} takes no option {', '.join(map(repr, unknown))}"
                        + (" (the highest interaction order is max_degree=)" if {"order", "max_order", "degree"} &
                           set(unknown) else ""))
    try:
        result = solver(evaluator, budget=budget, max_degree=max_degree, seed=rng, **options)
    finally:
        if evaluator.cache is not None and cache is not evaluator.cache:
            evaluator.cache.close()
    result.metadata.update(
        {
            "method": result.metadata.get("method", method),
            "requested_method": method,
            "queries": evaluator.queries,
            "cache_hits": evaluator.cache_hits,
            "asked": evaluator.asked,
            "seed": "generator" if isinstance(seed, np.random.Generator) else check_seed(seed),
            "time_total": time.perf_counter() - t0,
            "n_players": game.n_players,
        }
    )
    if budget is not None:
        result.metadata["budget"] = budget
    return result


def _unknown_options(solver, options: dict) -> list[str]:
    """The keyword options ``solver`` does not accept (none when it takes ``**kwargs``)."""
    import inspect

    params = inspect.signature(solver).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return []
    names = {p.name for p in params}
    return sorted(k for k in options if k not in names)
