"""How masks reach a game: batching, cache, progress and parallel backends.

Solvers never call a game directly: they design their masks, then hand them to an
:class:`Evaluator` in as few calls as possible. The evaluator looks masks up in the cache,
evaluates only the new ones in batches (in-process, or through joblib on any of its
backends, Dask included), commits each finished batch to the cache, and reports progress.
"""

from __future__ import annotations

import contextlib
import os
import sys
from numbers import Integral

import numpy as np

from .cache import EvaluationCache, pack_masks
from .game import Game
from .validation import check_masks, check_positive_int, check_values

DEFAULT_BATCH = 1024


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except AttributeError:
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def want_progress(progress: bool | None) -> bool:
    """None means: show a bar in Jupyter or an interactive terminal, stay quiet elsewhere."""
    if progress is not None:
        return bool(progress)
    return _in_notebook() or sys.stderr.isatty()


def _no_grad():
    """torch.inference_mode() when torch is loaded (a torch game), else a no-op."""
    torch = sys.modules.get("torch")
    return torch.inference_mode() if torch is not None else contextlib.nullcontext()


def _call(fn, chunk: np.ndarray):
    # Runs in the worker for parallel backends: keep it a plain module-level function.
    with _no_grad():
        return fn(chunk)


class Evaluator:
    """Evaluates masks on a game for a solver.

    Parameters
    ----------
    game : Game
    batch_size : masks per call of the value function (default: the game's, else 1024); never
        more than ``game.batch_size``, which a game sets as the largest batch its ``fn`` takes.
    progress : show a tqdm bar (None: in Jupyter or a terminal), or an object with
        ``start(total, desc)``, ``update(n)`` and ``close()`` that receives the progress.
    cache : None, a path to a SQLite file, or an :class:`~spexkit.cache.EvaluationCache`.
    n_jobs, backend : joblib parallelism over batches (``backend`` any joblib backend name,
        e.g. ``"loky"``, ``"threading"`` or ``"dask"`` with a ``distributed.Client`` running).
        GPU games should stay in-process (``n_jobs=1``).

    Attributes
    ----------
    queries : value-function calls paid for through this evaluator (cache hits are free).
    cache_hits : distinct masks of each call answered by the cache (a mask asked twice in one call
        counts once, as it would be evaluated once).
    asked : distinct masks of each call, paid for or answered by the cache: what the calls
        would cost without a cache. Budgets are counted in these, so that a warm cache makes a
        method faster, never different.
    """

    def __init__(self, game: Game, *, batch_size: int | None = None, progress: bool | None = None,
                 desc: str = "queries", cache=None, n_jobs: int = 1, backend: str | None = None) -> None:
        if not isinstance(game, Game):
            raise TypeError(f"expected a spexkit.Game, got {type(game).__name__}")
        self.game = game
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "batch_size")
        self.batch_size = int(batch_size or game.batch_size or DEFAULT_BATCH)
        if game.batch_size is not None:  # the game's cap is a promise to its fn (e.g. memory)
            self.batch_size = min(self.batch_size, game.batch_size)
        # A progress object (e.g. a widget's bar) has start(total, desc), update(n), close().
        self.reporter = progress if hasattr(progress, "update") else None
        self.progress = self.reporter is not None or want_progress(progress)
        self.desc = desc
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, (Integral, np.integer)) or n_jobs == 0:
            raise ValueError(f"n_jobs must be a non-zero int (-1 for all cores), got {n_jobs!r}")
        self.n_jobs = int(n_jobs)
        self.backend = backend
        self.cache = self._open_cache(cache)
        self.queries = 0
        self.cache_hits = 0
        self.asked = 0
        self.batches = 0
        self._logs: list[list] = []

    def _open_cache(self, cache) -> EvaluationCache | None:
        if cache is None or isinstance(cache, EvaluationCache):
            return cache
        if isinstance(cache, (str, os.PathLike)):
            return EvaluationCache(cache, self.game.identity(), self.game.n_players)
        raise TypeError(f"cache must be None, a path or an EvaluationCache, got {type(cache).__name__}")

    def __call__(self, masks) -> np.ndarray:
        masks = check_masks(masks, self.game.n_players)
        out = np.full(masks.shape[0], np.nan)
        if masks.shape[0] == 0:
            return out
        keys = pack_masks(masks)
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        unique = masks[first]  # a mask asked twice is evaluated once
        self.asked += unique.shape[0]
        values = np.full(unique.shape[0], np.nan)
        if self.cache is not None:
            found, cached = self.cache.lookup(unique)
            values[found] = cached[found]
            self.cache_hits += int(found.sum())
        todo = np.flatnonzero(np.isnan(values))
        if todo.size:
            values[todo] = self._evaluate(unique[todo])
        for log in self._logs:
            log.append((unique, values))
        return values[inverse.ravel()]

    @contextlib.contextmanager
    def recording(self):
        """Collect the distinct masks asked inside the block, with their values.

        Yields a list that receives one ``(masks, values)`` pair per call. ``method="auto"``
        uses it to keep a solver's samples when it discards the solver's result.

        >>> from spexkit import Game
        >>> ev = Evaluator(Game(lambda m: m.sum(1).astype(float), n_players=3), progress=False)
        >>> with ev.recording() as asked:
        ...     _ = ev(np.array([[1, 0, 1], [1, 0, 1], [0, 0, 0]], dtype=bool))
        >>> asked[0][0].shape, asked[0][1].tolist()
        ((2, 3), [0.0, 2.0])
        """
        log: list = []
        self._logs.append(log)
        try:
            yield log
        finally:
            self._logs = [other for other in self._logs if other is not log]

    def _evaluate(self, masks: np.ndarray) -> np.ndarray:
        step = self.batch_size
        chunks = [masks[i : i + step] for i in range(0, masks.shape[0], step)]
        results = np.empty(masks.shape[0])
        bar = None
        if self.reporter is not None:
            bar = self.reporter
            bar.start(masks.shape[0], self.desc)
        elif self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=masks.shape[0], desc=self.desc, unit="query", leave=True)
        try:
            start = 0
            for chunk, raw in zip(chunks, self._run(chunks)):
                vals = check_values(raw, chunk.shape[0], chunk)
                # Count and persist each batch as soon as it is known to be valid, so that a
                # failure or an interruption later loses nothing already paid for.
                self.game.n_queries += chunk.shape[0]
                self.queries += chunk.shape[0]
                self.batches += 1
                if self.cache is not None:
                    self.cache.store(chunk, vals)
                results[start : start + chunk.shape[0]] = vals
                start += chunk.shape[0]
                if bar is not None:
                    bar.update(chunk.shape[0])
        finally:
            if bar is not None:
                bar.close()
        return results

    def _run(self, chunks):
        """Raw outputs of the value function, batch by batch, in order."""
        fn = self.game.fn
        if self.n_jobs == 1 and self.backend is None:
            for c in chunks:
                yield _call(fn, c)
            return
        from joblib import Parallel, delayed, parallel_config

        with parallel_config(backend=self.backend or "loky", n_jobs=self.n_jobs):
            yield from Parallel(return_as="generator")(delayed(_call)(fn, c) for c in chunks)


def as_evaluator(game_or_evaluator) -> Evaluator:
    """Accept a Game or an Evaluator (solvers' public functions take either)."""
    if isinstance(game_or_evaluator, Evaluator):
        return game_or_evaluator
    if isinstance(game_or_evaluator, Game):
        return Evaluator(game_or_evaluator, progress=False)
    raise TypeError(f"expected a spexkit.Game, got {type(game_or_evaluator).__name__}")
