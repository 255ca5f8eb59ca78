"""Real games: every solver on the games real models make, at budgets 100, 300 and 1,000.

Game classes (``--games``):

* ``tabular``: scikit-learn models (gradient boosting, an MLP behind a StandardScaler, a
  random forest) trained on three built-in data sets (breast cancer: 30 features, wine: 13,
  diabetes: 10; no download), a few test points each. A masked feature is replaced by its
  training mean; the value is the log-odds of the point's predicted class for classifiers
  (probabilities clipped to [1e-6, 1 - 1e-6]; a forest's vote shares p are first smoothed to
  (200 p + 1) / 202, else most masks give log-odds of ±13.8), the prediction for the
  regressor. Masks keep each feature with probability 1/2.
* ``reviews``: SmolLM2-135M-Instruct on shipped movie reviews of 25-30 words through the
  feature lens (``SENTIMENT_TEMPLATE``, value = logit margin "positive" - "negative",
  words kept with probability 0.8).
* ``components``: the heads lens on SmolLM2 (270 heads, mean ablation, log-probability of
  the repeated half of a random token sequence), draws as in ``benchmarks/heads.py
  --only-draws``; played near the full set (keep 0.9).
* ``planted_fourier`` / ``planted_mobius``: ``planted_game(100, 15, 3, basis="fourier")``
  and ``planted_game(100, 30, 4, basis="mobius", hierarchical=True)``, noiseless.

Methods (``--methods``): ``proxyspex``, ``auto``, ``spex`` (at the budget given; its true
query count is reported, "n/a" below its smallest design), ``lasso`` (degree 2),
``linear`` (``lasso`` with ``max_degree=1``: the best sparse linear fit), ``kernelshap``,
``lime``, ``banzhaf``, ``additive_plus``. Peers (``--peer-python``, run in their own
interpreter): shap's ``KernelExplainer`` and the ``lime`` package (additive view:
value ≈ base + Σ φ_i m_i), ``shapiq.ProxySPEX`` and ``shapiq.SPEX`` (their decoded Fourier
transform). A peer never sees the model: it asks this process for the values of the masks
it draws (a line protocol over pipes), so every method plays the identical value function.

Measured per game, method, budget and seed: held-out R² (``--holdout`` fresh masks drawn
with the game's keep probability; for planted games against the noiseless truth), the time
in the solver (wall time minus the time spent inside the value function; also
``metadata["time_decoding"]`` where a method reports it), wall time, and the number of
distinct masks the method asked for ("calls").

Model values of the LLM games go through a SQLite cache (``--cache``; the component games
use ``--heads-cache``, shared with ``benchmarks/heads.py``), so a rerun pays only for masks
it has never seen: a rerun after a solver change costs the solver time alone.

Usage:
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/real_games.py --peer-python .peer-venvs/shapiq/bin/python
    .venv/bin/python benchmarks/real_games.py --quick            # a few tabular games, one planted, ~30 s
    .venv/bin/python benchmarks/real_games.py --games tabular --methods proxyspex,auto,linear
    .venv/bin/python benchmarks/real_games.py --update-docs      # also rewrite "Real games" in docs/benchmarks.md

Writes ``benchmarks/results/real_games.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import select
import subprocess
import sys
import time
import warnings
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLASSES = ("tabular", "reviews", "components", "planted_fourier", "planted_mobius")
REAL_CLASSES = ("tabular", "reviews", "components")
LLM_CLASSES = ("reviews", "components")
METHODS = ("proxyspex", "auto", "spex", "lasso", "linear", "kernelshap", "lime", "banzhaf", "additive_plus")
#: first-order fits: the best of them at a budget is "the best linear fit"
ADDITIVE = ("linear", "kernelshap", "lime", "banzhaf")
PEERS = ("shap_kernel", "lime_pkg", "shapiq_proxyspex", "shapiq_spex")
BUDGETS = (100, 300, 1000)
#: lasso of degree 2 runs only when its design has at most this many columns
LASSO_MAX_FEATURES = 6000
#: methods left out of a class by default, with the reason printed in the tables
SKIPPED = {
    "reviews": {"additive_plus": "not run: built for games played near the full set (keep >= 0.85)"},
}
DEFAULT_CACHE = ROOT / "benchmarks" / "results" / ".real_games_cache.sqlite"
HEADS_CACHE = ROOT / "benchmarks" / "results" / ".heads_cache.sqlite"
DOCS = ROOT / "docs" / "benchmarks.md"
PEER_TIMEOUT = 300.0


# ---------------------------------------------------------------------------- value functions
class ValueStore:
    """A game's model values, optionally persisted in a spexkit SQLite cache.

    ``fn`` evaluates validated bool masks; values already in the cache are never recomputed.
    ``model_calls`` counts the masks actually sent to the model, ``model_s`` its time.
    """

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], n: int, cache_path=None, fingerprint=None):
        from spexkit.cache import EvaluationCache

        self.fn, self.n = fn, n
        self.cache = EvaluationCache(cache_path, fingerprint, n) if cache_path else None
        self.model_calls, self.model_s = 0, 0.0

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        masks = np.ascontiguousarray(masks, dtype=bool)
        if self.cache is None:
            return self._model(masks)
        found, values = self.cache.lookup(masks)
        if not found.all():
            todo = np.flatnonzero(~found)
            keys, first, inverse = np.unique(np.packbits(masks[todo], axis=1), axis=0, return_index=True,
                                              return_inverse=True)
            fresh = self._model(masks[todo][first])
            self.cache.store(masks[todo][first], fresh)
            values[todo] = fresh[inverse.ravel()]
        return values

    def _model(self, masks: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        out = np.asarray(self.fn(masks), dtype=np.float64).reshape(-1)
        self.model_s += time.perf_counter() - t0
        self.model_calls += masks.shape[0]
        return out

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()


class Recorder:
    """The value function one method plays: counts the distinct masks asked for and the time
    spent answering them (the rest of the method's wall time is the solver's own)."""

    def __init__(self, store: ValueStore):
        self.store, self.seen, self.value_s = store, set(), 0.0

    def __call__(self, masks) -> np.ndarray:
        t0 = time.perf_counter()
        masks = np.atleast_2d(np.asarray(masks)).astype(bool)
        self.seen.update(row.tobytes() for row in np.packbits(masks, axis=1))
        out = self.store(masks)
        self.value_s += time.perf_counter() - t0
        return out

    @property
    def calls(self) -> int:
        return len(self.seen)


@dataclass
class Built:
    """What a game spec builds: the model's value function and what scoring needs."""

    fn: Callable[[np.ndarray], np.ndarray]
    labels: list[str]
    fingerprint: str | None = None
    truth: Callable[[np.ndarray], np.ndarray] | None = None  # noiseless values (planted games)
    info: dict = field(default_factory=dict)


@dataclass
class GameSpec:
    """One game of the benchmark; ``build`` is called once, when the game is played."""

    key: str
    cls: str
    n: int
    keep: float
    max_degree: int
    build: Callable[[], Built]
    holdout: int
    holdout_seed: int
    cache: str | None = None
    describe: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------- tabular games
DATASETS = ("breast_cancer", "wine", "diabetes")
MODELS = ("gbm", "mlp", "rf")
PROB_CLIP = 1e-6


@lru_cache(maxsize=None)
def _dataset(name: str):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    loader = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine,
              "diabetes": datasets.load_diabetes}[name]
    data = loader()
    X, y = np.asarray(data.data, dtype=np.float64), np.asarray(data.target)
    classify = name != "diabetes"
    split = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y if classify else None)
    return split, classify, [str(f) for f in data.feature_names]


@lru_cache(maxsize=None)
def _trained(name: str, model: str):
    from sklearn import ensemble, neural_network
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    (X_train, _X_test, y_train, _y_test), classify, _ = _dataset(name)
    if model == "gbm":
        est = (ensemble.GradientBoostingClassifier if classify else ensemble.GradientBoostingRegressor)(random_state=0)
    elif model == "rf":
        est = (ensemble.RandomForestClassifier if classify else ensemble.RandomForestRegressor)(
            n_estimators=200, random_state=0, n_jobs=1)
    else:
        mlp = (neural_network.MLPClassifier if classify else neural_network.MLPRegressor)(
            hidden_layer_sizes=(64,), max_iter=2000, random_state=0)
        est = make_pipeline(StandardScaler(), mlp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_train, y_train)
    return est


def tabular_value(name: str, model: str, point: int):
    """(value function over masks, description) of one test point of one trained model."""
    (X_train, X_test, _y_train, _y_test), classify, features = _dataset(name)
    est = _trained(name, model)
    x = X_test[_points(name)[point]]
    mean = X_train.mean(0)
    if classify:
        cls = int(np.argmax(est.predict_proba(x[None])[0]))

        votes = getattr(est, "n_estimators", None) if model == "rf" else None

        def fn(masks):
            p = est.predict_proba(np.where(masks, x, mean))[:, cls]
            if votes:  # a forest's probabilities are vote shares, often 0 or 1: Laplace-smoothed
                p = (p * votes + 1) / (votes + 2)
            p = np.clip(p, PROB_CLIP, 1 - PROB_CLIP)
            return np.log(p) - np.log1p(-p)
    else:
        cls = None

        def fn(masks):
            return est.predict(np.where(masks, x, mean))
    return fn, features, {"dataset": name, "model": model, "point": point, "class": cls,
                          "value": "log-odds of the predicted class" if classify else "prediction"}


@lru_cache(maxsize=None)
def _points(name: str) -> tuple[int, ...]:
    (_, X_test, _, _), _, _ = _dataset(name)
    return tuple(int(i) for i in np.random.default_rng(0).permutation(X_test.shape[0]))


def tabular_specs(points: int, datasets=DATASETS, models=MODELS, holdout: int = 500) -> list[GameSpec]:
    specs = []
    for name in datasets:
        n = len(_dataset(name)[2])
        for model in models:
            for p in range(points):
                key = f"{name}/{model}/{p}"

                def build(name=name, model=model, p=p):
                    fn, labels, desc = tabular_value(name, model, p)
                    return Built(fn, labels, info=desc)

                specs.append(GameSpec(key, "tabular", n, 0.5, 3, build, holdout, _seed_of(key),
                                      describe={"dataset": name, "model": model, "point": p}))
    return specs


def _seed_of(key: str) -> int:
    return 10_000 + zlib.crc32(key.encode()) % 1_000_000


# ---------------------------------------------------------------------------- planted games
#: ``planted_game`` arguments of each planted class; "additive" is a tiny additive game on which
#: every linear fit is exact (the --quick check). benchmarks/auto_vote.py plays these classes too.
PLANTED_CLASSES = {
    "planted_fourier": dict(n_terms=15, max_degree=3, basis="fourier"),
    "planted_mobius": dict(n_terms=30, max_degree=4, basis="mobius", hierarchical=True),
    "additive": dict(n_terms=8, max_degree=1, basis="mobius"),
}


def planted_class_game(cls: str, n: int, seed: int):
    """Instance ``seed`` of planted class ``cls`` over ``n`` parts (a ``PlantedGame``)."""
    from spexkit.planted import planted_game

    kwargs = dict(PLANTED_CLASSES[cls])
    return planted_game(n, kwargs.pop("n_terms"), kwargs.pop("max_degree"), seed=seed, **kwargs)


def planted_specs(cls: str, instances: int, n: int = 100, holdout: int = 500) -> list[GameSpec]:
    kwargs = PLANTED_CLASSES[cls]
    specs = []
    for s in range(instances):
        key = f"{cls}/n={n}/{s}"

        def build(s=s):
            game = planted_class_game(cls, n, s)
            return Built(game.fn, game.labels, truth=game.noiseless, info={"terms": len(game.truth)})

        specs.append(GameSpec(key, cls, n, 0.5, kwargs["max_degree"], build, holdout,
                              _seed_of(key), describe={"seed": s, **kwargs}))
    return specs


# ---------------------------------------------------------------------------- LLM games
@lru_cache(maxsize=None)
def _feature_lens():
    from lenses.features import FeatureLens

    return FeatureLens("smollm2", value="margin", labels=("positive", "negative"))


@lru_cache(maxsize=None)
def _head_lens():
    from lenses.heads import HeadLens

    return HeadLens("smollm2", ablation="mean", value="logprob", batch_size=16)


def review_specs(count: int, cache: str | None, holdout: int = 300, words=(25, 30)) -> list[GameSpec]:
    from lenses.features import load_reviews

    specs = []
    for i, review in enumerate(load_reviews(words[0], words[1], n=count, seed=0)):
        text = review["text"]
        key = f"review/{i}"

        def build(text=text):
            from lenses.features import SENTIMENT_TEMPLATE

            game = _feature_lens().game(text, template=SENTIMENT_TEMPLATE)
            return Built(game.evaluate, game.labels, fingerprint=game.identity(), info={"text": text})

        n = len(text.split())
        specs.append(GameSpec(key, "reviews", n, 0.8, 3, build, holdout, _seed_of(key), cache=cache,
                              describe={"words": n, "label": int(review["label"]), "text": text}))
    return specs


def component_specs(draws, cache: str | None, holdout: int = 300) -> list[GameSpec]:
    """The heads benchmark's draws (same prompts, reference, positions and held-out masks as
    ``benchmarks/heads.py --only-draws``, so its cache answers the masks both play)."""
    specs = []
    half = 10
    for d in draws:
        key = f"heads/draw{d}"

        def build(d=d):
            from lenses.heads.induction import repeated_tokens

            lens = _head_lens()
            model = lens.load().model_
            reference = repeated_tokens(model, 16, half, seed=1)
            prompt = repeated_tokens(model, 1, half, seed=1000 + d)
            game = lens.game(prompt, positions=list(range(half + 2, 2 * half + 1)), reference=reference)
            return Built(game.evaluate, game.labels, fingerprint=game.identity(),
                         info={"prompt": prompt.cpu().numpy().ravel().tolist()})

        specs.append(GameSpec(key, "components", 270, 0.9, 3, build, holdout, 5000 + d, cache=cache,
                              describe={"draw": d, "players": "270 heads of SmolLM2-135M"}))
    return specs


# ---------------------------------------------------------------------------- our methods
def method_call(method: str, spec: GameSpec) -> tuple[str, dict] | str:
    """(registered solver, extra options) for a benchmark method name, or why it does not run."""
    if method in SKIPPED.get(spec.cls, {}):
        return SKIPPED[spec.cls][method]
    d = spec.max_degree
    if method == "linear":
        return "lasso", {"max_degree": 1}
    if method == "lasso":
        from math import comb

        degree = min(2, spec.n)
        count = sum(comb(spec.n, k) for k in range(1, degree + 1))
        if count > LASSO_MAX_FEATURES:
            return f"n/a: degree-2 design has {count} columns (> {LASSO_MAX_FEATURES})"
        return "lasso", {"max_degree": degree}
    if method in ("kernelshap", "lime", "banzhaf"):
        return method, {}
    return method, {"max_degree": d}


def run_method(method: str, spec: GameSpec, built: Built, store: ValueStore, budget: int, seed: int,
               holdout_masks: np.ndarray, holdout_truth: np.ndarray,
               also: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> dict:
    """One fit, scored on the held-out masks (``r2``) and on each extra set in ``also``
    (``{suffix: (masks, truth)}`` adds ``"r2" + suffix``), so a fit is never paid for twice."""
    import spexkit
    from spexkit.metrics import r2_score

    call = method_call(method, spec)
    if isinstance(call, str):
        return {"na": call}
    name, options = call
    rec = Recorder(store)
    game = spexkit.Game(rec, n_players=spec.n, labels=built.labels, keep=spec.keep)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = spexkit.explain(game, method=name, budget=budget, seed=seed, progress=False, **options)
    except ValueError as exc:  # below a method's smallest budget, too many features...
        return {"na": "n/a: " + str(exc).split(";")[0][:160], "calls": rec.calls}
    wall = time.perf_counter() - t0
    meta = res.metadata
    out = {"r2": float(r2_score(holdout_truth, res.predict(holdout_masks))), "solver_s": wall - rec.value_s,
           "wall_s": wall, "calls": rec.calls, "queries": int(meta.get("queries", 0)), "terms": len(res)}
    for suffix, (masks, truth) in (also or {}).items():
        out["r2" + suffix] = float(r2_score(truth, res.predict(masks)))
    if "time_decoding" in meta:
        out["time_decoding"] = float(meta["time_decoding"])
    if method == "auto" and "auto" in meta:
        out["chosen"] = meta["auto"].get("chosen")
    if "selection" in meta:
        out["selection"] = meta["selection"]
    if name == "additive_plus" and "additive_plus" in meta:
        out["chosen"] = meta["additive_plus"].get("chosen")
    return out


# ---------------------------------------------------------------------------- peers
class PeerWorker:
    """A long-lived peer process (``--peer-worker`` in another Python) that asks this one for
    values: one JSON line per request in each direction."""

    def __init__(self, python: str, log_path: Path):
        self.python, self.log_path = python, log_path
        self.proc = None

    def _start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
            env.setdefault(var, "1")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.python, str(Path(__file__).resolve()), "--peer-worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, bufsize=1, env=env)

    def stop(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.write(json.dumps({"op": "stop"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except Exception:  # noqa: BLE001 - a dead worker is stopped already
                self.proc.kill()
            self.proc = None
            self.log.close()

    def _kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self.log.close()

    def run(self, job: dict, value: Callable[[np.ndarray], np.ndarray], timeout: float) -> dict:
        if self.proc is None:
            self._start()
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        end = time.perf_counter() + timeout
        while True:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(end - time.perf_counter(), 0))
            if not ready:
                self._kill()
                return {"error": f"timeout after {timeout:.0f} s"}
            line = self.proc.stdout.readline()
            if not line:
                code = self.proc.wait()
                self.proc = None
                self.log.close()
                return {"error": f"peer process ended (exit {code}); see {self.log_path}"}
            msg = json.loads(line)
            if msg["op"] == "eval":
                masks = unpack(msg["masks"], msg["rows"], job["n"])
                vals = value(masks)
                self.proc.stdin.write(json.dumps({"values": [float(v) for v in vals]}) + "\n")
                self.proc.stdin.flush()
            else:
                return msg


def pack(masks: np.ndarray) -> str:
    return np.packbits(np.asarray(masks, dtype=bool), axis=1).tobytes().hex()


def unpack(hexed: str, rows: int, n: int) -> np.ndarray:
    packed = np.frombuffer(bytes.fromhex(hexed), dtype=np.uint8).reshape(rows, -1)
    return np.unpackbits(packed, axis=1, count=n).astype(bool)


def run_peer(peer: str, worker: PeerWorker, spec: GameSpec, store: ValueStore, budget: int, seed: int,
             holdout_masks: np.ndarray, holdout_truth: np.ndarray, timeout: float) -> dict:
    from spexkit import Interactions
    from spexkit.metrics import r2_score

    rec = Recorder(store)
    job = {"op": "run", "peer": peer, "n": spec.n, "budget": budget, "seed": seed, "max_degree": spec.max_degree}
    msg = worker.run(job, rec, timeout)
    if msg.get("op") == "na":
        return {"na": msg["reason"], "calls": rec.calls}
    if "error" in msg:
        return {"error": msg["error"][:300], "calls": rec.calls}
    if "phi" in msg:
        pred = msg["base"] + holdout_masks.astype(np.float64) @ np.asarray(msg["phi"], dtype=np.float64)
    else:
        res = Interactions([tuple(t) for t in msg["terms"]], msg["coefs"], n_players=spec.n, basis="fourier")
        pred = res.predict(holdout_masks)
    out = {"r2": float(r2_score(holdout_truth, pred)), "solver_s": msg["wall"] - msg["value_s"],
           "wall_s": msg["wall"], "calls": rec.calls, "queries": int(msg["rows"])}
    out.update({k: msg[k] for k in ("version", "note") if k in msg})
    return out


def peer_worker_main() -> int:
    """The peer's side: read jobs from stdin, ask for values on stdout, answer with a result."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything a library prints goes to the log, not into the protocol
    sys.stdout = sys.stderr
    stats = {"value_s": 0.0, "rows": 0}

    def value(coalitions) -> np.ndarray:
        t0 = time.perf_counter()
        masks = np.atleast_2d(np.asarray(coalitions)) > 0.5
        proto.write(json.dumps({"op": "eval", "rows": int(masks.shape[0]), "masks": pack(masks)}) + "\n")
        reply = json.loads(sys.stdin.readline())
        stats["value_s"] += time.perf_counter() - t0
        stats["rows"] += masks.shape[0]
        return np.asarray(reply["values"], dtype=np.float64)

    runners = {"shap_kernel": _peer_shap, "lime_pkg": _peer_lime, "shapiq_proxyspex": _peer_shapiq,
               "shapiq_spex": _peer_shapiq}
    # Imports and numba compilation happen here, on a small local game, so that the timed
    # calls are warm (the cold start is not what this benchmark compares).
    for name, runner in runners.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                runner({"peer": name, "n": 12, "budget": 400, "seed": 0, "max_degree": 2},
                       lambda m: np.atleast_2d(np.asarray(m)).sum(1) * 1.0 + 0.5 * np.atleast_2d(np.asarray(m))[:, 0])
        except Exception:  # noqa: BLE001 - the timed call reports the failure
            pass
    for line in sys.stdin:
        job = json.loads(line)
        if job["op"] == "stop":
            break
        stats.update(value_s=0.0, rows=0)
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = runners[job["peer"]](job, value)
            out.setdefault("op", "result")
        except _NotApplicable as exc:
            out = {"op": "na", "reason": str(exc)}
        except Exception as exc:  # noqa: BLE001 - a peer failing is a result to report
            import traceback

            traceback.print_exc()
            out = {"op": "error", "error": f"{type(exc).__name__}: {exc}"}
        out.update(wall=time.perf_counter() - t0, value_s=stats["value_s"], rows=stats["rows"])
        proto.write(json.dumps(out) + "\n")
    return 0


class _NotApplicable(Exception):
    pass


def _peer_shap(job, value) -> dict:
    """shap.KernelExplainer on the mask space: background = all removed, instance = all kept."""
    import shap

    n = job["n"]
    np.random.seed(job["seed"])
    explainer = shap.KernelExplainer(lambda X: value(X), np.zeros((1, n)))
    phi = np.asarray(explainer.shap_values(np.ones((1, n)), nsamples=job["budget"], silent=True)).reshape(-1)[:n]
    return {"base": float(np.ravel(explainer.expected_value)[0]), "phi": phi.tolist(), "version": shap.__version__}


def _peer_lime(job, value) -> dict:
    """The lime package's text explainer on n distinct tokens ("w0 w1 ..."): it removes a
    uniformly drawn number of them, as for words; each perturbed text is read back as a mask."""
    import lime
    from lime.lime_text import LimeTextExplainer

    n = job["n"]
    words = [f"w{i}" for i in range(n)]

    def classifier_fn(texts):
        masks = np.array([[w in set(t.split()) for w in words] for t in texts], dtype=bool)
        return value(masks).reshape(-1, 1)

    explainer = LimeTextExplainer(bow=True, random_state=job["seed"])
    exp = explainer.explain_instance(" ".join(words), classifier_fn, labels=(0,), num_features=n,
                                     num_samples=job["budget"])
    phi = np.zeros(n)
    for fid, w in exp.local_exp[0]:
        phi[int(exp.domain_mapper.indexed_string.word(fid)[1:])] = w
    return {"base": float(exp.intercept[0]), "phi": phi.tolist(),
            "version": getattr(lime, "__version__", "0.2.0.1")}


def _peer_shapiq(job, value) -> dict:
    """shapiq.ProxySPEX / shapiq.SPEX through approximate(budget, value); the Fourier transform
    they decode is recorded on its way into fourier_to_moebius (a pass-through)."""
    import shapiq
    from shapiq.approximator.sparse import base

    captured = {}
    original = getattr(base, "_real_fourier_to_moebius", base.fourier_to_moebius)
    base._real_fourier_to_moebius = original

    def capture(fourier):
        captured.clear()
        captured.update(fourier)
        return original(fourier)

    base.fourier_to_moebius = capture
    n, d, seed = job["n"], job["max_degree"], job["seed"]
    np.random.seed(seed)  # shapiq's SPEX draws hashes from numpy's global generator
    if job["peer"] == "shapiq_spex":
        approx = shapiq.SPEX(n=n, max_order=d, degree_parameter=d, random_state=seed)
    else:
        approx = shapiq.ProxySPEX(n=n, max_order=d, random_state=seed)
    try:
        approx.approximate(job["budget"], value)
    except ValueError as exc:
        raise _NotApplicable(f"n/a: {str(exc)[:160]}") from None
    terms = [[int(i) for i in k] for k in captured]
    coefs = [float(np.real(v)) for v in captured.values()]
    return {"terms": terms, "coefs": coefs, "version": shapiq.__version__}


# ---------------------------------------------------------------------------- playing a game
def play(spec: GameSpec, methods, budgets, seeds, peers, worker, peer_timeout: float, log=print) -> dict:
    from spexkit.metrics import sample_masks

    t_build = time.perf_counter()
    built = spec.build()
    store = ValueStore(built.fn, spec.n, spec.cache, built.fingerprint)
    try:
        masks = sample_masks(spec.n, spec.holdout, keep=spec.keep, seed=spec.holdout_seed)
        truth = built.truth(masks) if built.truth is not None else store(masks)
        row = {"key": spec.key, "class": spec.cls, "n": spec.n, "keep": spec.keep, "max_degree": spec.max_degree,
               "holdout": spec.holdout, "holdout_std": float(truth.std()), **spec.describe,
               "full_value": float(store(np.ones((1, spec.n), dtype=bool))[0]),
               "build_s": time.perf_counter() - t_build, "methods": {}, "peers": {}}
        for method in methods:
            row["methods"][method] = {str(b): _over_seeds(
                [run_method(method, spec, built, store, b, s, masks, truth) for s in seeds]) for b in budgets}
            log(f"  {spec.key:<24} {method:<14} " + "  ".join(_brief(row['methods'][method][str(b)]) for b in budgets))
        for peer in peers:
            row["peers"][peer] = {str(b): _over_seeds(
                [run_peer(peer, worker, spec, store, b, s, masks, truth, peer_timeout) for s in seeds])
                for b in budgets}
            log(f"  {spec.key:<24} {peer:<14} " + "  ".join(_brief(row['peers'][peer][str(b)]) for b in budgets))
        row["model_calls_paid"] = store.model_calls
        row["model_s"] = store.model_s
        row["cache"] = spec.cache
        return row
    finally:
        store.close()


def _over_seeds(runs: list[dict]) -> dict:
    """One entry per (game, method, budget): means over the seeds that ran, and every run."""
    ok = [r for r in runs if "r2" in r]
    if not ok:
        first = runs[0]
        return {k: first[k] for k in ("na", "error") if k in first} | {"runs": runs}
    out = {"r2": float(np.mean([r["r2"] for r in ok])), "r2_min": float(np.min([r["r2"] for r in ok]))}
    for k in ("solver_s", "wall_s", "calls", "queries", "time_decoding", "terms"):
        vals = [r[k] for r in ok if k in r]
        if vals:
            out[k] = float(np.mean(vals))
    for k in ("chosen", "selection", "version"):
        if k in ok[0]:
            out[k] = [r.get(k) for r in ok] if len(ok) > 1 else ok[0][k]
    if len(ok) < len(runs):
        out["failed_seeds"] = len(runs) - len(ok)
    out["runs"] = runs
    return out


def _brief(e: dict) -> str:
    if "r2" in e:
        return f"R²={e['r2']:+.3f} ({e['solver_s']:.2f}s,{e['calls']:.0f})"
    return (e.get("na") or e.get("error") or "?")[:28]


# ---------------------------------------------------------------------------- extra checks
def dense_timing(seeds, budget: int = 500) -> dict:
    """ProxySPEX and auto on the dense 30-player game (breast cancer GBM, point 0), 500 calls."""
    spec = tabular_specs(1, datasets=("breast_cancer",), models=("gbm",))[0]
    return _timing(spec, ("proxyspex", "auto"), budget, seeds, target=1.0)


def planted_timing(seeds, n: int = 1000, budget: int = 1000) -> dict:
    """ProxySPEX and auto on planted_game(1000, 30, 4, mobius, hierarchical) at 1,000 calls."""
    spec = planted_specs("planted_mobius", 1, n=n, holdout=1000)[0]
    return _timing(spec, ("proxyspex", "auto"), budget, seeds, target=2.0)


def _timing(spec: GameSpec, methods, budget: int, seeds, target: float) -> dict:
    from spexkit.metrics import sample_masks

    built = spec.build()
    store = ValueStore(built.fn, spec.n)
    masks = sample_masks(spec.n, spec.holdout, keep=spec.keep, seed=spec.holdout_seed)
    truth = built.truth(masks) if built.truth is not None else store(masks)
    out = {"game": spec.key, "budget": budget, "target_s": target, "methods": {}}
    for m in methods:
        out["methods"][m] = _over_seeds([run_method(m, spec, built, store, budget, s, masks, truth) for s in seeds])
    return out


def spex_vs_lime(specs: list[GameSpec], seeds, factor: int = 4) -> dict:
    """SPEX at its smallest useful design (3 groups of 8 bins) and at ``factor`` times that
    budget, against LIME at the number of calls SPEX made, on the review games.

    Each is scored twice: on held-out masks drawn at the game's keep probability (what the
    rest of this benchmark uses) and on uniform masks, each part kept with probability 1/2
    (the SPEX paper's faithfulness metric, and the distribution SPEX's own masks follow).
    """
    from spexkit.metrics import sample_masks
    from spexkit.solvers.spex import queries_for

    rows = []
    for spec in specs:
        built = spec.build()
        store = ValueStore(built.fn, spec.n, spec.cache, built.fingerprint)
        try:
            held_out = {"": sample_masks(spec.n, spec.holdout, keep=spec.keep, seed=spec.holdout_seed),
                        "_uniform": sample_masks(spec.n, spec.holdout, keep=0.5, seed=spec.holdout_seed + 1)}
            truths = {k: store(m) for k, m in held_out.items()}
            extra = {k: (m, truths[k]) for k, m in held_out.items() if k}  # scored beside the game's keep
            smallest = queries_for(spec.n, spec.max_degree, (3, 3, 3))
            row = {"key": spec.key, "smallest": smallest, "keep": spec.keep}
            for label, budget in (("smallest", smallest), (f"x{factor}", factor * smallest)):
                row[label] = {"budget": budget}
                spex_runs = [run_method("spex", spec, built, store, budget, s, held_out[""], truths[""], also=extra)
                             for s in seeds]
                # LIME gets the calls SPEX made (mean over the seeds), scored on the same two sets.
                calls = int(round(_over_seeds(spex_runs).get("calls", budget)))
                lime_runs = [run_method("lime", spec, built, store, calls, s, held_out[""], truths[""], also=extra)
                             for s in seeds]
                for suffix in held_out:
                    sp, li = (_over_seeds([_scored_on(r, suffix) for r in runs]) for runs in (spex_runs, lime_runs))
                    row[label].update({f"spex{suffix}": sp, f"lime{suffix}": li})
                    print(f"  {spec.key:<24} spex@{label:<8} {_brief(sp)}   lime@{calls} {_brief(li)}"
                          f"   ({'uniform masks' if suffix else f'keep {spec.keep:g}'})", flush=True)
            rows.append(row)
        finally:
            store.close()
    return {"factor": factor, "games": rows}


def _scored_on(run: dict, suffix: str) -> dict:
    """A run of :func:`run_method` as if scored only on the held-out set named by ``suffix``."""
    if "r2" not in run:
        return run
    out = {k: v for k, v in run.items() if not k.startswith("r2")}
    out["r2"] = run["r2" + suffix]
    return out


# ---------------------------------------------------------------------------- summaries
def summarise(report: dict) -> dict:
    games = report["games"]
    budgets = [str(b) for b in report["meta"]["budgets"]]
    methods = report["meta"]["methods"]
    peers = report["meta"]["peers"]
    classes = [c for c in CLASSES + ("additive",) if any(g["class"] == c for g in games)]
    out = {"mean_r2": {}, "linear_margin": {}, "auto_vs_best": {}}
    for c in classes:
        cg = [g for g in games if g["class"] == c]
        out["mean_r2"][c] = {}
        for m in list(methods) + list(peers):
            src = "peers" if m in peers else "methods"
            out["mean_r2"][c][m] = {}
            for b in budgets:
                ents = [g[src].get(m, {}).get(b) for g in cg]
                vals = [e["r2"] for e in ents if e and "r2" in e]
                reason = next((e.get("na") or e.get("error") for e in ents if e and "r2" not in e), None)
                out["mean_r2"][c][m][b] = {
                    "r2": float(np.mean(vals)) if vals else None, "games": len(vals), "of": len(cg),
                    "solver_s": _mean([e.get("solver_s") for e in ents if e and "r2" in e]),
                    "calls": _mean([e.get("calls") for e in ents if e and "r2" in e]),
                    "reason": None if len(vals) == len(cg) else reason}
        # ProxySPEX and auto against the best linear fit, game by game
        out["linear_margin"][c] = {}
        for m in ("proxyspex", "auto"):
            if m not in methods:
                continue
            out["linear_margin"][c][m] = {}
            for b in budgets:
                margins = []
                for g in cg:
                    e = g["methods"][m].get(b, {})
                    lin = [g["methods"][a][b]["r2"] for a in ADDITIVE if a in g["methods"] and "r2" in g["methods"][a].get(b, {})]
                    if "r2" in e and lin:
                        margins.append(e["r2"] - max(lin))
                out["linear_margin"][c][m][b] = {
                    "mean": _mean(margins), "min": min(margins) if margins else None, "games": len(margins),
                    "below": int(sum(x < 0 for x in margins)), "below_by_0.01": int(sum(x < -0.01 for x in margins))}
        # auto against the best single method (those that ran on every game of the class)
        out["auto_vs_best"][c] = {}
        if "auto" in methods:
            for b in budgets:
                cand = {m: v[b]["r2"] for m, v in out["mean_r2"][c].items()
                        if m in methods and m != "auto" and v[b]["r2"] is not None and v[b]["games"] == len(cg)}
                a = out["mean_r2"][c]["auto"][b]["r2"]
                if not cand or a is None:
                    continue
                best = max(cand, key=cand.get)
                out["auto_vs_best"][c][b] = {"auto": a, "best": best, "best_r2": cand[best],
                                             "gap": cand[best] - a, "met": bool(a >= cand[best] - 0.02)}
    return out


def compact(obj):
    """What the JSON keeps: floats to 6 significant digits, and a single seed's run list dropped
    (its entry already holds the same numbers)."""
    if isinstance(obj, float):
        return float(f"{obj:.6g}")
    if isinstance(obj, dict):
        return {k: compact(v) for k, v in obj.items()
                if not (k == "runs" and isinstance(v, list) and len(v) == 1 and ("r2" in obj or "na" in obj))}
    if isinstance(obj, (list, tuple)):
        return [compact(v) for v in obj]
    return obj


def _mean(vals):
    vals = [v for v in vals if v is not None]
    return float(np.mean(vals)) if vals else None


def targets(report: dict) -> list[dict]:
    s = report["summary"]
    out = []
    for m in ("proxyspex", "auto"):
        below, total, weighted, worst = 0, 0, 0.0, None
        for c in REAL_CLASSES:
            for b, v in s["linear_margin"].get(c, {}).get(m, {}).items():
                below += v["below"]
                total += v["games"]
                if v["mean"] is not None:
                    weighted += v["mean"] * v["games"]
                    worst = v["min"] if worst is None else min(worst, v["min"])
        if total:
            out.append({"target": f"{m} ≥ the best linear fit on every real game at every budget",
                        "value": f"below on {below} of {total} (game, budget) pairs; mean margin "
                                 f"{weighted / total:+.3f}, smallest {worst:+.3f}",
                        "met": below == 0})
    gaps = [(c, b, v) for c, per in s["auto_vs_best"].items() for b, v in per.items()]
    if gaps:
        worst = max(gaps, key=lambda x: x[2]["gap"])
        out.append({"target": "auto within 0.02 of the best single method, per class and budget",
                    "value": f"{sum(v['met'] for _, _, v in gaps)} of {len(gaps)}; largest gap "
                             f"{worst[2]['gap']:+.3f} ({worst[0]}, {worst[1]} calls, best {worst[2]['best']})",
                    "met": all(v["met"] for _, _, v in gaps)})
    for key, label in (("dense", "dense 30-player game (breast cancer GBM), 500 calls: ProxySPEX solver time"),
                       ("planted_1000", "planted hierarchical n = 1000, 1,000 calls: ProxySPEX solver time")):
        t = report.get("extras", {}).get(key)
        if t and "r2" in t["methods"].get("proxyspex", {}):
            sec = t["methods"]["proxyspex"]["solver_s"]
            out.append({"target": f"{label} < {t['target_s']:g} s", "value": f"{sec:.2f} s", "met": sec < t["target_s"]})
    sv = report.get("extras", {}).get("spex_vs_lime")
    if sv and sv["games"]:
        for suffix, where in (("", "the game's keep"), ("_uniform", "uniform masks")):
            for label in ("smallest", f"x{sv['factor']}"):
                pairs = [(g[label].get(f"spex{suffix}", {}).get("r2"), g[label].get(f"lime{suffix}", {}).get("r2"))
                         for g in sv["games"]]
                pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
                if pairs:
                    sp, li = np.mean([p[0] for p in pairs]), np.mean([p[1] for p in pairs])
                    out.append({"target": f"SPEX ≥ LIME at equal budget on the review games ({label}; R² on {where})",
                                "value": f"SPEX {sp:.3f} vs LIME {li:.3f} (mean of {len(pairs)})",
                                "met": bool(sp >= li)})
    return out


def rerun_spex_vs_lime(args) -> int:
    """--only-spex-vs-lime: the review games' SPEX-vs-LIME runs again, merged into a finished report."""
    out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / "real_games.json"
    report = json.loads(out.read_text())
    seeds = report["meta"]["seeds"]
    reviews = review_specs(args.reviews, args.cache or None, holdout=args.holdout or 300)
    report.setdefault("extras", {})["spex_vs_lime"] = spex_vs_lime(reviews, seeds)
    report["meta"]["spex_vs_lime_rerun"] = {"when": time.strftime("%Y-%m-%d %H:%M"), "load_average": list(os.getloadavg())}
    return rebuild(report, out, args.update_docs)


def rebuild(report: dict, path: Path, docs: bool) -> int:
    """Summary, targets and tables of a finished report again; written back to ``path``."""
    report["summary"] = summarise(report)
    report["targets"] = targets(report)
    report["tables_markdown"] = md = tables_markdown(report)
    path.write_text(json.dumps(compact(report), indent=1, default=float))
    print(md)
    if docs:
        update_docs(md, report)
        print(f"updated {DOCS}")
    return 0


def _f(x, spec="{:.3f}") -> str:
    return "–" if x is None else spec.format(x)


def tables_markdown(report: dict) -> str:
    meta, s = report["meta"], report["summary"]
    budgets = [str(b) for b in meta["budgets"]]
    lines = []
    lines.append(f"Mean held-out R² per class, method and budget (calls); seeds {meta['seeds']}. "
                 "Peers (their own Python) play the same value functions.\n")
    head = "| class | method | " + " | ".join(f"{b}" for b in budgets) + " | solver s (at " + budgets[-1] + ") |"
    lines += [head, "|---|---|" + "---|" * len(budgets) + "---|"]
    for c, per in s["mean_r2"].items():
        n_games = next(iter(per.values()))[budgets[0]]["of"] if per else 0
        for m, v in per.items():
            if all(v[b]["r2"] is None and v[b]["reason"] is None for b in budgets):
                continue
            cells = []
            for b in budgets:
                e = v[b]
                if e["r2"] is None:
                    cells.append(_short(e["reason"]) or "–")
                else:
                    cells.append(f"{e['r2']:.3f}" + ("" if e["games"] == e["of"] else f" ({e['games']}/{e['of']})"))
            lines.append(f"| {c} ({n_games}) | {m} | " + " | ".join(cells) + f" | {_f(v[budgets[-1]]['solver_s'], '{:.2f}')} |")
    notes = meta.get("peer_notes", {})
    skipped = {(c, m): v[b]["reason"] for c, per in s["mean_r2"].items() for m, v in per.items() for b in budgets
               if v[b]["reason"] and v[b]["reason"].startswith("not run")}
    if notes or skipped:
        lines.append("")
        for (c, m), why in skipped.items():
            lines.append(f"{m} on {c}: {why}.  ")
        for c, why in notes.items():
            lines.append(f"Peers on {c}: {why}.  ")
    lines.append("\nProxySPEX and auto against the best linear fit (max of linear, kernelshap, lime, banzhaf at the "
                 "same budget), game by game: mean margin, smallest margin, games below.\n")
    lines += ["| class | method | " + " | ".join(budgets) + " |", "|---|---|" + "---|" * len(budgets)]
    for c, per in s["linear_margin"].items():
        for m, v in per.items():
            lines.append(f"| {c} | {m} | " + " | ".join(
                f"{_f(v[b]['mean'], '{:+.3f}')} (min {_f(v[b]['min'], '{:+.3f}')}; {v[b]['below']}/{v[b]['games']} below)"
                for b in budgets) + " |")
    lines.append("\n`auto` against the best single method of the class (mean R², methods that ran on every game).\n")
    lines += ["| class | budget | auto | best single | gap | within 0.02 |", "|---|---|---|---|---|---|"]
    for c, per in s["auto_vs_best"].items():
        for b, v in per.items():
            lines.append(f"| {c} | {b} | {v['auto']:.3f} | {v['best']} {v['best_r2']:.3f} | {v['gap']:+.3f} | "
                         f"{'yes' if v['met'] else 'no'} |")
    ex = report.get("extras", {})
    for key in ("dense", "planted_1000"):
        t = ex.get(key)
        if t:
            lines.append(f"\n{t['game']} at {t['budget']} calls: " + "; ".join(
                f"{m} R² {_f(e.get('r2'))}, solver {_f(e.get('solver_s'), '{:.2f}')} s "
                f"(time_decoding {_f(e.get('time_decoding'), '{:.2f}')} s)" for m, e in t["methods"].items()))
    sv = ex.get("spex_vs_lime")
    if sv and sv["games"]:
        lines.append(f"\nSPEX on the review games at its smallest design (3 groups of 8 bins) and at {sv['factor']}× that, "
                     "against LIME at the calls SPEX made; held-out R² on masks at the game's keep "
                     "probability and on uniform masks (keep 1/2, the SPEX paper's metric):\n")
        lines += ["| review | SPEX budget | SPEX calls | SPEX R² (keep) | LIME R² (keep) | SPEX R² (uniform) | "
                  "LIME R² (uniform) |", "|---|---|---|---|---|---|---|"]
        for g in sv["games"]:
            for label in ("smallest", f"x{sv['factor']}"):
                e = g[label]
                lines.append(f"| {g['key']} | {e['budget']} | {_f(e['spex'].get('calls'), '{:.0f}')} | "
                             f"{_f(e['spex'].get('r2'))} | {_f(e['lime'].get('r2'))} | "
                             f"{_f(e.get('spex_uniform', {}).get('r2'))} | {_f(e.get('lime_uniform', {}).get('r2'))} |")
        rerun = meta.get("spex_vs_lime_rerun")
        lines.append("\nEach method is most faithful on the masks it samples: LIME's kernel weights masks near "
                     "the full review, as the games' keep-0.8 masks are; SPEX's coded masks keep each word with "
                     "probability 1/2, as the uniform masks do. The review games are scored at keep 0.8 "
                     "because that is how the lens plays them." + (
                         f" (This table: rerun {rerun['when']} with `--only-spex-vs-lime`.)" if rerun else ""))
    lines.append("\nTargets:\n")
    lines += ["| target | value | met |", "|---|---|---|"]
    for t in report["targets"]:
        lines.append(f"| {t['target']} | {t['value']} | {'met' if t['met'] else 'not met'} |")
    return "\n".join(lines)


def _short(reason):
    if not reason:
        return None
    return reason.split(":")[0] if reason.startswith(("n/a", "not run")) else reason[:40]


DOCS_INTRO = """Every method on the games real models make, at budgets of 100, 300 and 1,000 model calls
(issue 17). Classes: **tabular** (scikit-learn GBM, MLP and random forest on breast cancer
(30 features), wine (13) and diabetes (10), three test points each; a masked feature is
replaced by its training mean; value = log-odds of the predicted class, or the prediction),
**reviews** (SmolLM2-135M-Instruct's sentiment margin on shipped reviews of 25-30 words,
feature lens, words kept with probability 0.8), **components** (270 SmolLM2 heads, the draws
of `heads.py --only-draws`, keep 0.9), and the planted classes **planted_fourier**
(n = 100, 15 parities of degree <= 3) and **planted_mobius** (n = 100, 30 hierarchical AND
terms of degree <= 4), noiseless. R² is held out (fresh masks drawn with the game's keep
probability; the planted games against their truth); "solver s" is wall time minus the time
spent in the value function; calls are distinct masks. `linear` is `lasso` with
`max_degree=1`. Peers (shap's KernelExplainer and the lime package read as additive models,
shapiq 1.4.1's ProxySPEX and SPEX) run in their own venv and ask this process for every
value, so all methods play the identical value function."""


def update_docs(markdown: str, report: dict) -> None:
    meta = report["meta"]
    text = DOCS.read_text()
    header = "## Real games"
    load = meta["load_average_start"][0], meta.get("load_average_end", [float("nan")])[0]
    llm = [g for g in report["games"] if g["class"] in LLM_CLASSES]
    paid = (f" The LLM games paid for {sum(g['model_calls_paid'] for g in llm):,} SmolLM2 calls "
            f"({sum(g['model_s'] for g in llm) / 60:.0f} min); the rest of their values came from the cache."
            if llm else "")
    limits = "".join(f"{k}={v} " for k, v in (meta.get("threads") or {}).items() if v)  # as the run had them
    body = (f"{header}\n\n{DOCS_INTRO}\n\nCommand: `{limits}.venv/bin/python {meta['command']}` "
            f"({meta['total_s'] / 60:.1f} min on {meta['cpu_count']} shared cores, load average {load[0]:.1f} at "
            f"the start and {load[1]:.1f} at the end; JSON: `benchmarks/results/real_games.json`).{paid}"
            f"{' Note: ' + meta['note'] + '.' if meta.get('note') else ''}\n\n"
            f"{markdown}\n")
    if header in text:
        start = text.index(header)
        nxt = text.find("\n## ", start + len(header))
        text = text[:start] + body + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    DOCS.write_text(text)


# ---------------------------------------------------------------------------- main
def build_specs(args) -> list[GameSpec]:
    specs: list[GameSpec] = []
    classes = args.games
    if args.quick:
        specs += tabular_specs(1, datasets=("wine",), models=("gbm", "mlp"), holdout=args.holdout or 300)
        specs += tabular_specs(1, datasets=("diabetes",), models=("rf",), holdout=args.holdout or 300)
        specs += planted_specs("planted_fourier", 1, n=64, holdout=args.holdout or 300)
        specs += planted_specs("additive", 1, n=12, holdout=args.holdout or 300)
        return specs
    for c in classes:
        if c == "tabular":
            specs += tabular_specs(args.points, holdout=args.holdout or 500)
        elif c in ("planted_fourier", "planted_mobius"):
            specs += planted_specs(c, args.instances, holdout=args.holdout or 500)
        elif c == "reviews":
            specs += review_specs(args.reviews, args.cache or None, holdout=args.holdout or 300)
        elif c == "components":
            draws = [int(d) for d in args.draws.split(",")]
            specs += component_specs(draws, args.heads_cache or None, holdout=args.holdout or 300)
    return specs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--games", default=",".join(CLASSES), help=f"classes, comma-separated ({', '.join(CLASSES)})")
    p.add_argument("--methods", default=",".join(METHODS), help="our methods, comma-separated")
    p.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    p.add_argument("--seeds", default="0", help="solver seeds, comma-separated (R² is their mean)")
    p.add_argument("--points", type=int, default=3, help="test points per tabular model")
    p.add_argument("--instances", type=int, default=3, help="instances per planted class")
    p.add_argument("--reviews", type=int, default=2, help="review games (25-30 words)")
    p.add_argument("--draws", default="0,1", help="component-game draws (as in heads.py --only-draws)")
    p.add_argument("--holdout", type=int, default=None, help="held-out masks (default 500; LLM games 300)")
    p.add_argument("--peer-python", default=None, help="a Python with shapiq==1.4.1, lightgbm, shap and lime")
    p.add_argument("--peers", default=",".join(PEERS), help="peers to run when --peer-python is given")
    p.add_argument("--peer-classes", default="tabular,planted_fourier,planted_mobius",
                   help="classes the peers play (each peer pays for its own model calls)")
    p.add_argument("--peer-timeout", type=float, default=PEER_TIMEOUT, help="seconds per peer call")
    p.add_argument("--no-extras", action="store_true", help="skip the timing checks and SPEX-vs-LIME runs")
    p.add_argument("--only-spex-vs-lime", action="store_true",
                   help="rerun only the SPEX-vs-LIME review runs and merge them into the JSON at --out")
    p.add_argument("--quick", action="store_true", help="3 small tabular games, one planted and one additive game, "
                   "budgets 100 and 300, no LLM, no peers, no extras")
    p.add_argument("--cache", default=str(DEFAULT_CACHE), help="SQLite cache of the review games' values ('' for none)")
    p.add_argument("--heads-cache", default=str(HEADS_CACHE), help="SQLite cache of the component games' values")
    p.add_argument("--out", default=None, help="JSON path (default benchmarks/results/real_games.json; "
                   "--quick: real_games_quick.json)")
    p.add_argument("--update-docs", action="store_true", help='rewrite the "Real games" section of docs/benchmarks.md')
    p.add_argument("--from-json", default=None, help="rebuild the tables (and with --update-docs the docs "
                   "section) from a results file, running nothing")
    p.add_argument("--peer-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.peer_worker:
        return peer_worker_main()
    if args.from_json:  # tables, targets and docs again from a finished run, without running anything
        return rebuild(json.loads(Path(args.from_json).read_text()), Path(args.from_json), args.update_docs)
    if args.only_spex_vs_lime:
        return rerun_spex_vs_lime(args)
    args.games = [c.strip() for c in args.games.split(",") if c.strip()]
    unknown = [c for c in args.games if c not in CLASSES]
    if unknown:
        p.error(f"unknown classes {unknown}; choose from {', '.join(CLASSES)}")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad:
        p.error(f"unknown methods {bad}; choose from {', '.join(METHODS)}")
    budgets = [int(b) for b in args.budgets.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.quick:
        budgets = [b for b in budgets if b <= 300] or [100, 300]
        args.peer_python = None
        args.no_extras = True
    peers = [q.strip() for q in args.peers.split(",") if q.strip()] if args.peer_python else []
    if any(q not in PEERS for q in peers):
        p.error(f"unknown peers; choose from {', '.join(PEERS)}")
    peer_classes = {c.strip() for c in args.peer_classes.split(",") if c.strip()}
    # --quick never overwrites the committed full run
    out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / (
        "real_games_quick.json" if args.quick else "real_games.json")
    out.parent.mkdir(parents=True, exist_ok=True)

    import spexkit

    t_start = time.perf_counter()
    versions = {"spexkit": getattr(spexkit, "__version__", "?"), "numpy": np.__version__}
    for mod in ("sklearn", "lightgbm", "torch", "transformers"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - a missing package is reported as absent
            versions[mod] = None
    meta = {"command": "benchmarks/real_games.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "budgets": budgets, "seeds": seeds, "methods": methods, "peers": peers, "quick": args.quick,
            "classes": sorted({s for s in (["tabular", "planted_fourier", "additive"] if args.quick else args.games)}),
            "machine": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "threads": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
            "load_average_start": list(os.getloadavg()), "versions": versions, "peer_python": args.peer_python,
            "peer_classes": sorted(peer_classes) if peers else [], "peer_notes": {}}
    specs = build_specs(args)
    if peers:
        for c in sorted({s.cls for s in specs} - peer_classes):
            meta["peer_notes"][c] = ("not run: each peer pays for its own model calls, ~1,400 per game and peer "
                                     "(~2-3 min of SmolLM2 per game on this CPU); --peer-classes adds them"
                                     if c in LLM_CLASSES else "not run (--peer-classes)")
    else:
        meta["peer_notes"]["all"] = "not run (no --peer-python)" if not args.quick else "not run (--quick)"
    report = {"meta": meta, "games": [], "extras": {}}
    worker = PeerWorker(args.peer_python, out.with_suffix(".peer.log")) if peers else None
    print(f"real games: {len(specs)} games, methods {methods}, budgets {budgets}, seeds {seeds}"
          + (f", peers {peers} on {sorted(peer_classes)}" if peers else ", no peers"), flush=True)

    def write():
        report["meta"]["total_s"] = time.perf_counter() - t_start
        report["meta"]["load_average_end"] = list(os.getloadavg())
        out.write_text(json.dumps(compact(report), indent=1, default=float))

    try:
        for spec in specs:
            t0 = time.perf_counter()
            use_peers = peers if spec.cls in peer_classes else []
            row = play(spec, methods, budgets, seeds, use_peers, worker, args.peer_timeout,
                       log=lambda s: print(s, flush=True))
            row["seconds"] = time.perf_counter() - t0
            report["games"].append(row)
            print(f"{spec.key}: {row['seconds']:.0f} s ({row['model_calls_paid']} model calls paid, "
                  f"{row['model_s']:.0f} s in the model)", flush=True)
            write()
        if not args.no_extras:
            report["extras"]["dense"] = dense_timing(seeds)
            report["extras"]["planted_1000"] = planted_timing(seeds)
            reviews = [s for s in specs if s.cls == "reviews"]
            if reviews and "spex" in methods:
                report["extras"]["spex_vs_lime"] = spex_vs_lime(reviews, seeds)
            write()
    finally:
        if worker is not None:
            worker.stop()
    report["summary"] = summarise(report)
    report["targets"] = targets(report)
    report["meta"]["total_s"] = time.perf_counter() - t_start
    md = tables_markdown(report)
    report["tables_markdown"] = md
    write()
    print()
    print(md)
    print(f"\nwrote {out} ({report['meta']['total_s'] / 60:.1f} min)")
    if args.update_docs:
        update_docs(md, report)
        print(f"updated {DOCS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
