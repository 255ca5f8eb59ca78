"""How masks reach a game: batching and progress (caching and parallel backends plug in here)."""

from __future__ import annotations

import sys

import numpy as np

from .game import Game
from .validation import check_masks


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


class Evaluator:
    """Evaluates masks on a game for a solver, in batches, with an optional progress bar.

    Solvers never call the game directly: they design their masks, then hand them here in
    as few calls as possible, so batching, progress and caching stay out of solver code.
    """

    def __init__(self, game: Game, *, batch_size: int | None = None, progress: bool | None = None,
                 desc: str = "queries") -> None:
        self.game = game
        self.batch_size = batch_size
        self.progress = want_progress(progress)
        self.desc = desc
        self.start_queries = game.n_queries

    @property
    def queries(self) -> int:
        """Calls of the value function paid for through this evaluator."""
        return self.game.n_queries - self.start_queries

    def __call__(self, masks) -> np.ndarray:
        masks = check_masks(masks, self.game.n_players)
        saved = self.game.batch_size
        if self.batch_size is not None:
            self.game.batch_size = self.batch_size
        bar = None
        try:
            if self.progress and masks.shape[0] > 0:
                from tqdm.auto import tqdm

                bar = tqdm(total=masks.shape[0], desc=self.desc, unit="query", leave=False)
            return self.game.evaluate(masks, progress=bar)
        finally:
            self.game.batch_size = saved
            if bar is not None:
                bar.close()


def as_evaluator(game_or_evaluator) -> Evaluator:
    """Accept a Game or an Evaluator (solvers' public functions take either)."""
    if isinstance(game_or_evaluator, Evaluator):
        return game_or_evaluator
    if isinstance(game_or_evaluator, Game):
        return Evaluator(game_or_evaluator, progress=False)
    raise TypeError(f"expected a spexkit.Game, got {type(game_or_evaluator).__name__}")
