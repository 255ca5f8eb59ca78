"""Benchmark games with exact ground truth, for tests, benchmarks and tutorials.

Each function returns a :class:`PlantedGame`: a :class:`~spexkit.Game` whose ``truth``
attribute holds the planted expansion. All are seeded and fully vectorised.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .game import Game
from .interactions import Interactions
from .validation import check_n_players, check_non_negative_int, check_positive_int, check_random_state


#: Largest term order of a hierarchical planted game (a term brings up to 2^d - 2 sub-terms).
MAX_HIERARCHICAL_DEGREE = 12


class PlantedGame(Game):
    """A game defined by a known sparse expansion, optionally with Gaussian noise.

    ``noise_std`` is set from ``snr_db`` against the variance of the noiseless game under
    uniform masks; the noise is drawn fresh for every query from the game's own generator.
    """

    def __init__(self, truth: Interactions, *, snr_db: float | None = None, seed=None,
                 keep: float = 0.5) -> None:
        self.truth = truth
        self.snr_db = snr_db
        self._noise_rng = check_random_state(seed)
        self.noise_std = 0.0 if snr_db is None else float(np.sqrt(signal_variance(truth) / 10 ** (snr_db / 10)))
        digest = hashlib.sha256(truth.to_json().encode()).hexdigest()[:20]
        super().__init__(self._value, truth.n_players, labels=truth.labels, keep=keep,
                         fingerprint=f"planted:{digest}:snr={snr_db}")

    def _value(self, masks: np.ndarray) -> np.ndarray:
        clean = self.truth.predict(masks)
        if self.noise_std:
            clean = clean + self._noise_rng.normal(0.0, self.noise_std, size=clean.shape)
        return clean

    def noiseless(self, masks) -> np.ndarray:
        """The planted function without noise (does not count as a query)."""
        return self.truth.predict(masks)


def signal_variance(truth: Interactions) -> float:
    """Variance of the game over uniform masks: the energy of its non-constant Fourier terms."""
    f = truth.to("fourier")
    return float(np.sum(f.coefficients[f.degrees > 0] ** 2))


def _random_terms(rng: np.random.Generator, n: int, degrees: np.ndarray) -> list[tuple[int, ...]]:
    """Distinct random subsets of [n] with the given sizes."""
    seen: set[tuple[int, ...]] = set()
    out = []
    for d in degrees:
        for _ in range(1000):
            term = tuple(sorted(rng.choice(n, size=int(d), replace=False).tolist()))
            if term not in seen:
                break
        else:  # pragma: no cover - only for absurd (n, d, s) combinations
            raise ValueError(f"cannot draw {len(degrees)} distinct terms of degree {d} over {n} players")
        seen.add(term)
        out.append(term)
    return out


def _draw_degrees(rng, n_terms: int, max_degree: int, degree_weights) -> np.ndarray:
    choices = np.arange(1, max_degree + 1)
    if degree_weights is None:
        p = None
    else:
        p = np.asarray(degree_weights, dtype=np.float64)
        if p.shape != choices.shape or not np.isfinite(p).all() or (p < 0).any() or p.sum() <= 0:
            raise ValueError(f"degree_weights must give {max_degree} finite non-negative weights (degrees 1..{max_degree}), "
                             f"not all zero; got {degree_weights!r}")
        p = p / p.sum()
    return rng.choice(choices, size=n_terms, p=p)


def _draw_coefficients(rng, size: int, distribution: str, low: float, high: float) -> np.ndarray:
    if distribution == "uniform":
        mag = rng.uniform(low, high, size=size)
    elif distribution == "normal":
        mag = np.abs(rng.normal(0.0, 1.0, size=size)) * (high - low) / 2 + low
    elif distribution == "exponential":
        mag = low + rng.exponential((high - low) / 3, size=size)
    else:
        raise ValueError(f"unknown coefficient distribution {distribution!r}; use 'uniform', 'normal' or 'exponential'")
    return mag * rng.choice([-1.0, 1.0], size=size)


def planted_game(
    n_players: int,
    n_terms: int,
    max_degree: int,
    *,
    basis: str = "fourier",
    degree: int | None = None,
    degree_weights=None,
    coefficients: str = "uniform",
    low: float = 1.0,
    high: float = 2.0,
    hierarchical: bool = False,
    subterm_prob: float = 0.5,
    subterm_scale: float = 0.5,
    constant: float = 0.0,
    snr_db: float | None = None,
    seed=None,
    keep: float = 0.5,
) -> PlantedGame:
    """A random sparse game with a known expansion.

    Parameters
    ----------
    n_players, n_terms, max_degree : size, number of planted terms and their largest order.
    basis : ``"fourier"`` (parities) or ``"mobius"`` (sums of unanimity games).
    degree : give every term exactly this degree (else degrees are drawn from 1..max_degree,
        uniformly or by ``degree_weights``).
    coefficients, low, high : magnitudes drawn by ``"uniform"``, ``"normal"`` or
        ``"exponential"`` from [low, ...), with random signs; ``low`` keeps every term visible.
    hierarchical : every planted term of degree >= 2 also brings each of its proper non-empty
        subsets with probability ``subterm_prob``, with coefficients scaled by
        ``subterm_scale``: the shape of LLM interactions (docs/design.md section 7).
    snr_db : optional Gaussian noise level (signal-to-noise ratio in dB).

    Examples
    --------
    >>> game = planted_game(50, n_terms=4, max_degree=2, seed=0)
    >>> len(game.truth), game.n_players
    (4, 50)
    """
    n = check_n_players(n_players)
    rng = check_random_state(seed)
    n_terms = check_non_negative_int(n_terms, "n_terms")
    max_degree = check_positive_int(max_degree, "max_degree")
    if max_degree > n:
        raise ValueError(f"max_degree must lie in [1, n_players={n}], got {max_degree}")
    if degree is not None:
        degree = check_positive_int(degree, "degree")
    if basis not in ("fourier", "mobius"):
        raise ValueError(f"basis must be 'fourier' or 'mobius', got {basis!r}")
    if not (np.isfinite(low) and np.isfinite(high) and 0 <= low <= high):
        raise ValueError(f"need finite magnitudes 0 <= low <= high, got low={low!r}, high={high!r}")
    if snr_db is not None and not np.isfinite(float(snr_db)):
        raise ValueError(f"snr_db must be a finite number of dB (or None for no noise), got {snr_db!r}")
    if hierarchical:
        if not 0.0 <= float(subterm_prob) <= 1.0:
            raise ValueError(f"subterm_prob must lie in [0, 1], got {subterm_prob!r}")
        if max_degree > MAX_HIERARCHICAL_DEGREE:  # every term's 2^d subsets are drawn one by one
            raise ValueError(f"hierarchical games plant every subset of a term: max_degree must be at most "
                             f"{MAX_HIERARCHICAL_DEGREE}, got {max_degree}")
    if degree is not None:
        if not 1 <= degree <= max_degree:
            raise ValueError(f"degree must lie in [1, max_degree={max_degree}], got {degree}")
        degrees = np.full(n_terms, degree)
    else:
        degrees = _draw_degrees(rng, n_terms, max_degree, degree_weights)
    terms = _random_terms(rng, n, degrees)
    coefs = _draw_coefficients(rng, len(terms), coefficients, low, high)
    if hierarchical:
        extra_terms, extra_coefs = [], []
        for term, c in zip(terms, coefs):
            d = len(term)
            for code in range(1, (1 << d) - 1):  # proper non-empty subsets of one term (d <= ~6)
                if rng.random() < subterm_prob:
                    sub = tuple(term[j] for j in range(d) if code >> j & 1)
                    extra_terms.append(sub)
                    extra_coefs.append(c * subterm_scale * rng.uniform(0.5, 1.0))
        terms = terms + extra_terms
        coefs = np.concatenate([coefs, np.asarray(extra_coefs, dtype=np.float64)])
    if constant:
        terms = terms + [()]
        coefs = np.append(coefs, constant)
    meta = {"planted": True, "n_planted": int(n_terms), "hierarchical": bool(hierarchical)}
    truth = Interactions(terms, coefs, n, basis=basis, metadata=meta)
    return PlantedGame(truth, snr_db=snr_db, seed=rng, keep=keep)


def dense_game(n_players: int, seed=None) -> PlantedGame:
    """A game with i.i.d. Gaussian values on all 2^n masks (n <= 16): nothing is sparse."""
    from .transforms import dense_to_terms, fourier_dense

    n = check_n_players(n_players)
    if n > 16:
        raise ValueError("dense_game supports n_players <= 16")
    rng = check_random_state(seed)
    values = rng.normal(size=1 << n)
    idx, coef = dense_to_terms(fourier_dense(values))
    return PlantedGame(Interactions(idx, coef, n, basis="fourier", metadata={"planted": False}), seed=rng)
