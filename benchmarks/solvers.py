#!/usr/bin/env python
"""Solver benchmark: spexkit's SPEX against shapiq.SPEX on planted sparse games.

Run from the repository root (``make bench`` does this)::

    python benchmarks/solvers.py                      # full run, 5 seeds (8-10 min on 2 cores)
    python benchmarks/solvers.py --quick              # 2 seeds, tighter time caps for the peer
    python benchmarks/solvers.py --peer-python .peer-venvs/shapiq/bin/python
    python benchmarks/solvers.py --no-peer            # spexkit only (under 10 s)
    python benchmarks/solvers.py --update-docs        # also refresh the tables in docs/benchmarks.md
    python benchmarks/solvers.py proxyspex --quick    # the ProxySPEX suite (benchmarks/proxyspex.py)

What it measures, per case and per method (see docs/benchmarks.md):

* the smallest budget on a fixed grid at which the method is *exact* on every seed (same
  terms as the planted truth, every coefficient within 1e-6) and at which it *recovers the
  support* on every seed (the terms with |coefficient| > 1e-3 are the planted ones, each
  within 1e-3), with the queries the method
  actually made there;
* at the case's reference budget (its target): exact/recovered counts over the seeds,
  held-out R² against the noiseless truth, decoding time (everything but the game's own
  evaluation), wall time of the first call in a fresh process ("cold") and of the same call
  repeated in that process ("warm");
* with Gaussian noise at 20 dB SNR: held-out R² against the noiseless truth, and the
  smallest budget at which it is >= 0.95 on every seed.

Every (method, case) pair runs in its own fresh worker process (this same file with
``--worker``), so the first call there is a true cold start. The peer runs under the Python
given by ``--peer-python`` (else ``$SPEXKIT_PEER_PYTHON``, this interpreter or
.peer-venvs/shapiq/bin/python, whichever has shapiq); without one, the peer columns are
skipped and the script says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "solvers.json"
GRID = (250, 300, 350, 400, 450, 500, 600, 700, 800, 1000, 1500, 2000, 3000, 5000, 8000, 12000, 20000)
EXACT_TOL = 1e-6      # "exact": same terms, every coefficient within this
RECOVER_TOL = 1e-3    # "support recovered": same terms, every coefficient within this
R2_TARGET = 0.95
SNR_DB = 20.0
R2_SAMPLES = 2000
PEER_VERSION = "1.4.1"
PREFIX = "@@"         # worker result lines start with this; anything else is library noise

CASES = [
    {"key": "c1", "label": "1. n=1000, 15 terms, degree ≤ 3", "n": 1000, "n_terms": 15, "max_degree": 3,
     "degree": None, "ref_budget": 700, "target_queries": 700, "target_decoding_s": 0.5},
    {"key": "c2", "label": "2. n=1000, 10 pairs", "n": 1000, "n_terms": 10, "max_degree": 2,
     "degree": 2, "ref_budget": 450, "target_queries": 450},
    {"key": "c2m", "label": "2b. n=1000, 10 pairs + their 20 main effects", "n": 1000, "pairs": 10,
     "max_degree": 2, "ref_budget": 700, "target_queries": None},
    {"key": "c3", "label": "3. n=777, 40 terms, degree ≤ 4", "n": 777, "n_terms": 40, "max_degree": 4,
     "degree": None, "ref_budget": 5000, "target_queries": 5000},
    {"key": "c4", "label": "4. n=1000, 100 terms, degree ≤ 5", "n": 1000, "n_terms": 100, "max_degree": 5,
     "degree": None, "ref_budget": 20000, "target_queries": 20000, "target_decoding_s": 5.0},
]


# ============================================================================ worker side
def make_game(case: dict, seed: int, snr_db: float | None = None):
    """The planted game of a case; with ``snr_db`` the same truth plus Gaussian noise."""
    import numpy as np

    from spexkit import Interactions
    from spexkit.planted import PlantedGame, planted_game

    if case.get("pairs"):
        # k random disjoint pairs plus a main effect for each of their 2k players,
        # magnitudes uniform in [1, 2] with random signs (Fourier basis).
        rng = np.random.default_rng(seed)
        k, n = case["pairs"], case["n"]
        players = rng.choice(n, size=2 * k, replace=False)
        terms = [tuple(sorted(int(p) for p in players[2 * i: 2 * i + 2])) for i in range(k)]
        terms += [(int(p),) for p in players]
        coefs = rng.uniform(1.0, 2.0, len(terms)) * rng.choice([-1.0, 1.0], len(terms))
        truth = Interactions(terms, coefs, n_players=n, basis="fourier", metadata={"planted": True})
        return PlantedGame(truth, snr_db=snr_db, seed=rng)
    return planted_game(case["n"], case["n_terms"], case["max_degree"], degree=case["degree"],
                        seed=seed, snr_db=snr_db)


class Ours:
    name = "spexkit"

    def __init__(self):
        t0 = time.perf_counter()
        from spexkit.solvers.spex import spex

        self.import_s = time.perf_counter() - t0
        self._spex = spex

    def used_budget(self, case, budget):
        return budget  # cheap enough to run every grid point

    def run(self, game, budget, max_degree, seed):
        q0 = game.n_queries
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            res = self._spex(game, budget=budget, max_degree=max_degree, seed=seed)
            wall = time.perf_counter() - t0
        return res, {"wall": wall, "decoding": float(res.metadata["time_decoding"]),
                     "queries": game.n_queries - q0, "warned": bool(caught),
                     "rounds": len(res.metadata.get("rounds", []))}


class Peer:
    """shapiq.SPEX, driven through its public ``approximate(budget, game)``.

    Its result is an interaction index (FBII by default) computed from a Möbius transform
    that it converts from the sparse *Fourier* transform it decodes. To compare supports
    with the planted Fourier truth we record that Fourier transform on its way into
    ``fourier_to_moebius`` (a pass-through wrapper; the computation is unchanged).
    """

    name = "shapiq"

    def __init__(self):
        t0 = time.perf_counter()
        import shapiq
        from shapiq.approximator.sparse import base

        self.import_s = time.perf_counter() - t0
        self._shapiq = shapiq
        self._captured = None
        original = base.fourier_to_moebius

        def capture(fourier):
            self._captured = dict(fourier)
            return original(fourier)

        base.fourier_to_moebius = capture
        self._budget_cache: dict = {}

    def _make(self, n, max_degree, seed):
        # degree_parameter = max_degree: its BCH code corrects that many errors, like ours.
        return self._shapiq.SPEX(n=n, max_order=max_degree, degree_parameter=max_degree, random_state=seed)

    def used_budget(self, case, budget):
        """Queries shapiq.SPEX will make for this budget (None: it refuses), from its own rule."""
        key = (case["n"], case["max_degree"], budget)
        if key not in self._budget_cache:
            try:
                self._budget_cache[key] = int(self._make(case["n"], case["max_degree"], 0)._set_transform_budget(budget))
            except Exception:
                self._budget_cache[key] = None
        return self._budget_cache[key]

    def run(self, game, budget, max_degree, seed):
        import numpy as np

        from spexkit import Interactions

        n = game.n_players
        stats = {"queries": 0, "eval": 0.0}

        def value(coalitions):
            x = np.asarray(coalitions).astype(bool)
            t = time.perf_counter()
            y = game(x)
            stats["eval"] += time.perf_counter() - t
            stats["queries"] += x.shape[0]
            return y

        self._captured = None
        np.random.seed(seed)  # its hashes and delays come from numpy's global generator
        t0 = time.perf_counter()
        approx = self._make(n, max_degree, seed)
        iv = approx.approximate(budget, value)
        wall = time.perf_counter() - t0
        fourier = self._captured or {}
        terms = [tuple(int(i) for i in k) for k in fourier]
        coefs = [float(np.real(v)) for v in fourier.values()]
        res = Interactions(terms, coefs, n_players=n, basis="fourier")
        return res, {"wall": wall, "decoding": wall - stats["eval"], "queries": stats["queries"],
                     "reported_budget": int(iv.estimation_budget or 0),
                     "degree_parameter": int(approx.degree_parameter)}


def score(res, game) -> dict:
    """Exact: the brief's definition (same terms, coefficients within 1e-6, nothing dropped).
    Recovered: the terms with |coefficient| > 1e-3 are the planted ones, each within 1e-3."""
    import numpy as np

    from spexkit.evaluation import faithfulness

    truth = game.truth
    same = res.terms == truth.terms
    err = float(np.max(np.abs(res.coefficients - truth.coefficients))) if same and len(truth) else None
    big = np.abs(res.coefficients) > RECOVER_TOL
    big_terms = [t for t, keep in zip(res.terms, big) if keep]
    recovered = big_terms == truth.terms and bool(
        np.max(np.abs(res.coefficients[big] - truth.coefficients), initial=0.0) <= RECOVER_TOL)
    r2 = faithfulness(res, game, n_samples=R2_SAMPLES, truth=game.noiseless)
    return {"n_terms": len(res.terms), "same_terms": same, "max_coef_err": err,
            "exact": bool(same and err is not None and err <= EXACT_TOL),
            "recovered": bool(recovered), "r2": float(r2)}


def worker(spec: dict) -> None:
    def emit(obj):
        print(PREFIX + json.dumps(obj), flush=True)

    def log(msg):
        print(f"    [{spec['method']}:{spec['case']['key']}] {msg}", file=sys.stderr, flush=True)

    case, seeds, call_limit = spec["case"], list(range(spec["seeds"])), spec["call_limit"]
    t_import = time.perf_counter()
    import numpy  # noqa: F401  (so that "import" below is the solver's own import time)
    import spexkit  # noqa: F401

    try:
        solver = Ours() if spec["method"] == "spexkit" else Peer()
    except Exception as exc:  # the peer is not importable
        emit({"event": "unavailable", "error": f"{type(exc).__name__}: {exc}"})
        return
    emit({"event": "import", "seconds": solver.import_s, "total_with_spexkit": time.perf_counter() - t_import})
    d = case["max_degree"]

    def one_call(budget, seed, snr_db):
        game = make_game(case, seed, snr_db)
        t0 = time.perf_counter()
        try:
            res, info = solver.run(game, budget, d, seed)
        except Exception as exc:
            msg = f"{type(exc).__name__}: {str(exc)[:300]}"
            # Both solvers refuse a too-small budget with a ValueError that says so.
            too_small = isinstance(exc, ValueError) and "budget" in str(exc).lower()
            return {"status": "cannot_run" if too_small else "error", "error": msg,
                    "wall": time.perf_counter() - t0}
        return {"status": "ok", **info, **score(res, game)}

    done: dict = {}  # (design size, seed, snr) -> result, so a grid search reuses earlier runs

    def call(budget, seed, snr_db=None, tag=""):
        out = one_call(budget, seed, snr_db)
        if out["status"] == "ok" and tag != "warm":
            done[(solver.used_budget(case, budget), seed, snr_db)] = dict(out)
        # A call cannot be interrupted safely (the peer's numba code); one that ran past the
        # call limit ends its phase instead (the cold call, which pays compilation, excepted).
        if call_limit is not None and tag != "cold" and out.get("wall", 0.0) > call_limit:
            out["over_limit"] = True
        out.update({"budget": budget, "seed": seed, "snr_db": snr_db, "phase": tag})
        emit({"event": "run", **out})
        brief = (f"q={out.get('queries')} exact={out.get('exact')} r2={out.get('r2', float('nan')):.4f} "
                 f"wall={out.get('wall', float('nan')):.2f}s" if out["status"] == "ok" else out["status"])
        log(f"{tag:<6} budget={budget:<6} seed={seed} snr={snr_db} {brief}")
        return out

    ref = case["ref_budget"]
    n_seeds = len(seeds)
    # Time caps (the peer only): the phases after the cold and warm calls share
    # spec["time_budget"] seconds: the reference-budget runs may use up to 35 %, the
    # noiseless grid search up to 75 % and the noisy search the rest. A phase stops
    # before starting a call past its deadline (a call already running may overrun it).
    total = spec.get("time_budget") or float("inf")
    deadline = {"ref": 0.35 * total, "refnoisy": 0.35 * total, "grid": 0.75 * total, "noisy": total}

    def time_left(phase):
        return time.perf_counter() - t_begin < deadline[phase]

    # 1. cold: the first call of this process at the reference budget (seed 0). If the method
    #    cannot run at that budget, the next grid budgets are tried and "cold" is the time
    #    from the first attempt to the first call that runs (failed attempts can compile too).
    # 2. warm: that same call again, in the same process.
    cold_s, cold_dec, timing_budget, cold = 0.0, 0.0, None, None
    for budget in [ref] + [b for b in spec["grid"] if b > ref]:
        cold = call(budget, 0, tag="cold")
        cold_s += cold.get("wall", 0.0)
        cold_dec += cold.get("decoding", cold.get("wall", 0.0))
        if cold["status"] != "cannot_run":
            timing_budget = budget
            break
    emit({"event": "cold", "seconds": cold_s, "decoding": cold_dec, "status": cold["status"], "budget": timing_budget})
    if timing_budget is not None:
        warm = call(timing_budget, 0, tag="warm")
        emit({"event": "warm", "seconds": warm.get("wall"), "decoding": warm.get("decoding"),
              "status": warm["status"], "budget": timing_budget})

    t_begin = time.perf_counter()

    # 3. every seed at the reference budget (noiseless; then noisy, where asked for).
    ref_runs = timing_budget == ref
    for phase, snr_db, todo in (("ref", None, seeds[1:] if ref_runs else []),
                                ("refnoisy", SNR_DB, seeds if spec["refnoisy"] and ref_runs else [])):
        for s in todo:
            if not time_left(phase):
                emit({"event": "note", "phase": phase, "note": f"time cap reached: {phase} stopped before seed {s}"})
                break
            if call(ref, s, snr_db, tag=phase).get("over_limit"):
                emit({"event": "note", "phase": phase, "note": f"a call took over {call_limit:g} s; {phase} stopped"})
                break

    # 4. grid searches: smallest budget where every seed passes. A seed that fails ends the
    #    budget early; budgets that give the same design as the previous one are skipped.
    def search(kind, snr_db, passes, stop):
        last_used = None
        for budget in spec["grid"]:
            if not time_left(kind):
                emit({"event": "note", "phase": kind, "note": f"time cap reached: {kind} search stopped before budget {budget}"})
                return
            used = solver.used_budget(case, budget)
            if used is None:
                emit({"event": "run", "status": "cannot_run", "budget": budget, "phase": kind, "snr_db": snr_db})
                continue
            if used == last_used:
                emit({"event": "run", "status": "same_design", "budget": budget, "phase": kind,
                      "snr_db": snr_db, "queries": used})
                continue
            last_used = used
            outs = []
            for s in seeds:
                if outs and not time_left(kind):
                    emit({"event": "note", "phase": kind,
                          "note": f"time cap reached: {kind} search stopped at budget {budget} before seed {s}"})
                    return
                if (used, s, snr_db) in done:  # same design, seed and noise: the same result
                    out = {**done[(used, s, snr_db)], "budget": budget, "phase": kind, "reused": True}
                    emit({"event": "run", **out})
                else:
                    out = call(budget, s, snr_db, tag=kind)
                outs.append(out)
                if out["status"] != "ok" or not passes(out):
                    break
            if any(o.get("over_limit") for o in outs):
                emit({"event": "note", "phase": kind, "note": f"a call took over {call_limit:g} s at budget {budget}; "
                      "larger budgets not tried"})
                return
            if stop(outs):
                return

    exact_all = lambda outs: len(outs) == n_seeds and all(o.get("exact") for o in outs)  # noqa: E731
    recovered_all = lambda outs: len(outs) == n_seeds and all(o.get("recovered") for o in outs)  # noqa: E731
    seen_recovered = []

    def stop_noiseless(outs):
        # Stop once every seed is exact; a method that recovers the support on every seed
        # at two distinct designs without being exact is not going to become exact.
        if exact_all(outs):
            return True
        if recovered_all(outs):
            seen_recovered.append(outs[0]["budget"])
        return len(seen_recovered) >= 2

    search("grid", None, lambda o: o.get("recovered", False), stop_noiseless)
    search("noisy", SNR_DB, lambda o: o.get("r2", -1.0) >= R2_TARGET,
           lambda outs: len(outs) == n_seeds and all(o.get("r2", -1.0) >= R2_TARGET for o in outs))
    emit({"event": "done"})


# ============================================================================ driver side
def find_peer_python(arg: str | None) -> str | None:
    """The Python that runs the peer: ``arg`` if given (and nothing else), else
    ``$SPEXKIT_PEER_PYTHON``, this interpreter, or .peer-venvs/shapiq/bin/python, whichever
    first has shapiq installed."""
    candidates = [arg] if arg else [os.environ.get("SPEXKIT_PEER_PYTHON"), sys.executable,
                                    str(REPO / ".peer-venvs" / "shapiq" / "bin" / "python")]
    for py in candidates:
        if not py or not Path(py).exists():
            continue
        probe = subprocess.run([py, "-c", "import importlib.metadata as m; print(m.version('shapiq'))"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            return py
        if py == arg:
            print(f"warning: {py} has no shapiq ({probe.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
    return None


def run_worker(python: str, spec: dict, timeout: float, one_thread: bool = True) -> list[dict]:
    env = dict(os.environ)
    # One thread for both methods. Measured on this (shared, 2-core) machine, the peer's numba
    # code is fastest so: 0.55 s per call against 1.3 s with 2 OpenMP threads, which also spin
    # for minutes when another process holds a core, and 3.2 s with numba's work-queue layer.
    # spexkit's decoding (small least-squares solves) is also 4-20x faster with one BLAS thread here.
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if one_thread:
            env.setdefault(var, "1")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [python, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True, timeout=timeout, env=env,
                              cwd=str(REPO))
        out, killed = proc.stdout, False
        if proc.returncode != 0:
            print(f"  worker exited with {proc.returncode}", file=sys.stderr)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        killed = True
    events = [json.loads(line[len(PREFIX):]) for line in out.splitlines() if line.startswith(PREFIX)]
    if killed:
        events.append({"event": "note", "phase": "worker", "note": f"worker killed after {timeout:.0f}s"})
    return events


def summarise(case: dict, events: list[dict], n_seeds: int) -> dict:
    out: dict = {"notes": [e["note"] for e in events if e["event"] == "note"]}
    if any(e["event"] == "unavailable" for e in events):
        out["unavailable"] = next(e["error"] for e in events if e["event"] == "unavailable")
        return out
    for e in events:
        if e["event"] in ("import", "cold", "warm"):
            out[f"{e['event']}_s"] = e.get("seconds")
        if e["event"] in ("cold", "warm"):
            out[f"{e['event']}_decoding_s"] = e.get("decoding")
        if e["event"] == "cold":
            out["timing_budget"] = e.get("budget")
    runs = [e for e in events if e["event"] == "run"]
    out["runs"] = runs
    ok = [r for r in runs if r["status"] == "ok"]

    def at(phase):
        return [r for r in runs if r.get("phase") in phase]

    ref = case["ref_budget"]
    out["ref"] = _ref_summary([r for r in at(("cold", "ref")) if r["budget"] == ref], n_seeds)
    out["ref_noisy"] = _ref_summary(at(("refnoisy",)), n_seeds)
    colds = [r for r in runs if r.get("phase") == "cold"]
    out["cold_status"] = colds[-1]["status"] if colds else None

    def smallest(phase, key):
        by_budget: dict[int, list] = {}
        for r in ok:
            if r.get("phase") == phase:
                by_budget.setdefault(r["budget"], []).append(r)
        for b in sorted(by_budget):
            rs = by_budget[b]
            if len(rs) == n_seeds and all(key(r) for r in rs):
                return {"budget": b, "queries": max(r["queries"] for r in rs),
                        "decoding_max_s": max(r["decoding"] for r in rs),
                        "wall_median_s": statistics.median(r["wall"] for r in rs),
                        "r2_min": min(r["r2"] for r in rs),
                        "max_coef_err": max((r["max_coef_err"] or 0.0) for r in rs)}
        return None

    out["smallest_exact"] = smallest("grid", lambda r: r["exact"])
    out["smallest_recovered"] = smallest("grid", lambda r: r["recovered"])
    out["smallest_noisy_r2"] = smallest("noisy", lambda r: r["r2"] >= R2_TARGET)
    grid_runs = [r for r in runs if r.get("phase") in ("grid", "noisy")]
    out["searched_up_to"] = {p: max((r["budget"] for r in grid_runs if r.get("phase") == p), default=None)
                             for p in ("grid", "noisy")}
    out["over_limit"] = sorted({r["budget"] for r in runs if r.get("over_limit")})
    out["errors"] = sorted({r.get("error", "") for r in runs if r["status"] == "error"})
    return out


def _ref_summary(rs: list[dict], n_seeds: int) -> dict | None:
    if not rs:
        return None
    ok = [r for r in rs if r["status"] == "ok"]
    res = {"budget": rs[0]["budget"], "seeds_run": len(rs), "seeds_ok": len(ok),
           "statuses": sorted({r["status"] for r in rs})}
    if ok:
        res.update({
            "queries": max(r["queries"] for r in ok),
            "n_exact": sum(r["exact"] for r in ok),
            "n_recovered": sum(r["recovered"] for r in ok),
            "r2_min": min(r["r2"] for r in ok),
            "r2_median": statistics.median(r["r2"] for r in ok),
            "decoding_max_s": max(r["decoding"] for r in ok),
            "wall_median_s": statistics.median(r["wall"] for r in ok),
            "max_coef_err": max((r["max_coef_err"] if r["max_coef_err"] is not None else float("inf")) for r in ok),
        })
    return res


# ---------------------------------------------------------------------------- tables
def _fmt_budget(s: dict | None, m: dict, phase: str) -> str:
    if s:
        return f"{s['budget']} ({s['queries']} q)"
    upto = m.get("searched_up_to", {}).get(phase)
    extra = ""
    if m.get("over_limit"):
        extra = f"; a call took > {CALL_LIMIT_TEXT} at {min(m['over_limit'])}"
    return f"not reached (tried ≤ {upto}{extra})" if upto else f"not reached{extra}"


CALL_LIMIT_TEXT = "60 s"


def _ref_text(ref: dict, n_seeds: int, budget: int) -> str:
    if not ref:
        return "not run"
    if not ref.get("seeds_ok"):
        if ref.get("statuses") == ["cannot_run"]:
            return f"cannot run at {budget}"
        return f"{', '.join(ref.get('statuses', []))} at {budget}"
    txt = (f"{ref['n_exact']}/{ref['seeds_ok']} / {ref['n_recovered']}/{ref['seeds_ok']} "
           f"@ {budget} ({ref['queries']} q)")
    if ref["seeds_ok"] < n_seeds:
        txt += f" [{ref['seeds_ok']} of {n_seeds} seeds run]"
    return txt


def _f(x, fmt="{:.3f}", none="–"):
    return none if x is None else fmt.format(x)


def make_tables(report: dict) -> str:
    n_seeds = report["meta"]["seeds"]
    lines = ["### Noiseless: recovery", "",
             "| case | method | smallest budget, exact on all seeds (queries) | smallest budget, support recovered "
             "on all seeds (queries) | at ref. budget: exact / recovered | R² (min) | decoding max (s) | cold (s) | warm (s) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in report["cases"]:
        for name, m in c["methods"].items():
            if m.get("unavailable") or m.get("skipped"):
                lines.append(f"| {c['label']} | {name} | {m.get('skipped') or 'unavailable'} | | | | | | |")
                continue
            ref = m.get("ref") or {}
            ref_txt = _ref_text(ref, n_seeds, c["ref_budget"])
            if m.get("cold_status") == "ok":
                cold = _f(m.get("cold_s"), "{:.2f}")
                warm = _f(m.get("warm_s"), "{:.2f}")
                if m.get("timing_budget") != c["ref_budget"]:
                    warm += f" (at {m.get('timing_budget')})"
            else:
                cold, warm = (m.get("cold_status") or "–"), "–"
            lines.append(
                f"| {c['label']} | {name} | {_fmt_budget(m.get('smallest_exact'), m, 'grid')} | "
                f"{_fmt_budget(m.get('smallest_recovered'), m, 'grid')} | {ref_txt} | {_f(ref.get('r2_min'), '{:.4f}')} | "
                f"{_f(ref.get('decoding_max_s'))} | {cold} | {warm} |")
    lines += ["", f"### Gaussian noise at {SNR_DB:g} dB SNR: R² against the noiseless truth", "",
              "| case | method | smallest budget with R² ≥ 0.95 on all seeds (queries) | R² min there | "
              "at ref. budget: R² min / median | decoding max at ref. (s) |",
              "|---|---|---|---|---|---|"]
    for c in report["cases"]:
        for name, m in c["methods"].items():
            if m.get("unavailable") or m.get("skipped"):
                continue
            s, rn = m.get("smallest_noisy_r2"), m.get("ref_noisy") or {}
            if rn.get("seeds_ok"):
                ref_txt = f"{_f(rn.get('r2_min'), '{:.4f}')} / {_f(rn.get('r2_median'), '{:.4f}')}"
                if rn["seeds_ok"] < n_seeds:
                    ref_txt += f" [{rn['seeds_ok']} of {n_seeds} seeds]"
            else:
                ref_txt = "not run" if not rn else _ref_text(rn, n_seeds, c["ref_budget"])
            lines.append(f"| {c['label']} | {name} | {_fmt_budget(s, m, 'noisy')} | "
                         f"{_f(s and s['r2_min'], '{:.4f}')} | {ref_txt} | {_f(rn.get('decoding_max_s'))} |")
    lines += ["", "### Cold start: first call in a fresh process against the same call repeated", "",
              "| case | method | import (s) | budget | first call: wall (decoding) (s) | second call: wall (decoding) (s) |",
              "|---|---|---|---|---|---|"]
    for c in report["cases"]:
        for name, m in c["methods"].items():
            if m.get("unavailable") or m.get("skipped"):
                continue
            ok = m.get("cold_status") == "ok"
            first = f"{_f(m.get('cold_s'))} ({_f(m.get('cold_decoding_s'))})" if ok else m.get("cold_status")
            second = f"{_f(m.get('warm_s'))} ({_f(m.get('warm_decoding_s'))})" if ok else "–"
            lines.append(f"| {c['label']} | {name} | {_f(m.get('import_s'), '{:.2f}')} | {m.get('timing_budget')} | "
                         f"{first} | {second} |")
    return "\n".join(lines)


def check_targets(report: dict) -> list[dict]:
    cases = {c["key"]: c for c in report["cases"]}

    def ours(key):
        return cases[key]["methods"].get("spexkit", {}) if key in cases else {}

    out = []

    def add(name, met, detail):
        out.append({"target": name, "met": bool(met), "detail": detail})

    for key, q in (("c1", 700), ("c2", 450), ("c3", 5000), ("c4", 20000)):
        if key not in cases:
            continue
        m = ours(key)
        s = m.get("smallest_exact")
        add(f"case {key}: exact on all seeds with ≤ {q} queries", s is not None and s["queries"] <= q,
            f"smallest exact budget {s['budget']} ({s['queries']} queries)" if s else "never exact on the grid")
    for key, lim in (("c1", 0.5), ("c4", 5.0)):
        if key not in cases:
            continue
        ref = ours(key).get("ref") or {}
        dec = ref.get("decoding_max_s")
        add(f"case {key}: decoding < {lim} s (max over seeds at budget {ref.get('budget')})",
            dec is not None and dec < lim, f"{dec:.3f} s" if dec is not None else "no run")
    if "c2m" in cases:
        s = ours("c2m").get("smallest_exact")
        add("case c2m: smallest budget recovering 10 pairs + 20 main effects (report only)", s is not None,
            f"{s['budget']} ({s['queries']} queries)" if s else "not reached")
    for key in ("c1", "c2", "c2m", "c3", "c4"):
        if key not in cases:
            continue
        s = ours(key).get("smallest_noisy_r2")
        add(f"case {key} at 20 dB SNR: R² ≥ 0.95 on all seeds", s is not None,
            f"smallest budget {s['budget']} ({s['queries']} queries), R² min {s['r2_min']:.4f}" if s else "not reached")
    colds = [(k, ours(k).get("cold_s"), ours(k).get("warm_s"), ours(k).get("cold_decoding_s"),
              ours(k).get("warm_decoding_s")) for k in cases]
    colds = [x for x in colds if None not in x]
    if colds:
        # No JIT: the solver's own work (decoding) costs the same in the first call of a fresh
        # process as in the second (within 50 ms); the wall times are shown as they are.
        worst = max(cd - wd for _, _, _, cd, wd in colds)
        add("cold start: first call's decoding within 50 ms of the second call's (no JIT)", worst <= 0.05,
            "; ".join(f"{k}: wall {c:.3f} s vs {w:.3f} s, decoding {cd:.3f} s vs {wd:.3f} s"
                      for k, c, w, cd, wd in colds))
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["proxyspex"]:
        # The ProxySPEX suite (tree proxy against shapiq.ProxySPEX, every method at an equal
        # budget) lives in its own script, reachable from this entry point too.
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import proxyspex

        return proxyspex.main(argv[1:])
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="2 seeds and tighter time caps for the peer")
    p.add_argument("--seeds", type=int, default=None, help="seeds per case (default 5, or 2 with --quick)")
    p.add_argument("--cases", default=",".join(c["key"] for c in CASES), help="comma-separated case keys")
    p.add_argument("--peer-python", default=None, help="a Python with shapiq==1.4.1 installed")
    p.add_argument("--no-peer", action="store_true", help="run spexkit only")
    p.add_argument("--call-limit", type=float, default=60.0, help="seconds one peer call may take (default 60)")
    p.add_argument("--peer-budget", type=float, default=None,
                   help="seconds for all the peer's work, shared out over the cases as they come "
                        "(default 540, or 200 with --quick)")
    p.add_argument("--threads", choices=("one", "default"), default="one",
                   help="'one' (default): both methods single-threaded (NUMBA/OMP/OPENBLAS/MKL_NUM_THREADS=1); "
                        "'default': leave the libraries' own thread settings")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="JSON output path")
    p.add_argument("--update-docs", nargs="?", const=str(REPO / "docs" / "benchmarks.md"), default=None,
                   metavar="PATH", help="also replace the generated block of docs/benchmarks.md (between "
                                        "'<!-- solvers:begin -->' and '<!-- solvers:end -->') with this run's tables")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.worker:
        worker(json.loads(args.worker))
        return 0

    t_start = time.perf_counter()
    seeds = args.seeds or (2 if args.quick else 5)
    peer_budget = args.peer_budget or (200.0 if args.quick else 540.0)
    keys = [k.strip() for k in args.cases.split(",") if k.strip()]
    cases = [c for c in CASES if c["key"] in keys]
    peer_py = None if args.no_peer else find_peer_python(args.peer_python)
    peer_version = None
    if peer_py:
        peer_version = subprocess.run([peer_py, "-c", "import importlib.metadata as m; print(m.version('shapiq'))"],
                                      capture_output=True, text=True).stdout.strip()
        print(f"peer: shapiq {peer_version} under {peer_py}")
        if peer_version != PEER_VERSION:
            print(f"warning: the benchmark is written for shapiq=={PEER_VERSION}", file=sys.stderr)
    else:
        why = "--no-peer" if args.no_peer else "no Python with shapiq found"
        print(f"peer: skipped ({why}); see benchmarks/README.md to install shapiq=={PEER_VERSION} "
              "in a separate venv and pass --peer-python")

    import numpy as np  # only for the versions in the report

    import spexkit

    def git(*cmd):  # read-only: which spexkit the numbers are for
        r = subprocess.run(["git", "-C", str(REPO), *cmd], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None

    report = {"meta": {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": platform.python_version(), "numpy": np.__version__, "spexkit": spexkit.__version__,
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "spexkit_uncommitted_changes": bool(git("status", "--porcelain", "--", "spexkit")),
        "shapiq": peer_version, "peer_python": peer_py, "seeds": seeds, "grid": list(GRID),
        "exact_tol": EXACT_TOL, "recover_tol": RECOVER_TOL, "snr_db": SNR_DB, "r2_target": R2_TARGET,
        "r2_samples": R2_SAMPLES, "call_limit_s": args.call_limit, "peer_budget_s": peer_budget,
        "threads": args.threads, "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "quick": args.quick,
    }, "cases": []}

    peer_left = peer_budget
    for i, case in enumerate(cases):
        print(f"\n== {case['label']}", flush=True)
        entry = {**case, "methods": {}}
        methods = [("spexkit", sys.executable)] + ([("shapiq", peer_py)] if peer_py else [])
        for name, py in methods:
            peer = name == "shapiq"
            share = max(peer_left, 0.0) / (len(cases) - i) if peer else None
            spec = {"method": name, "case": case, "seeds": seeds, "grid": list(GRID),
                    "call_limit": args.call_limit if peer else None, "time_budget": share,
                    # the peer's noisy runs at the reference budget would not fit its time
                    "refnoisy": not peer}
            t0 = time.perf_counter()
            events = run_worker(py, spec, timeout=(share + 2 * args.call_limit + 180) if peer else 900,
                                one_thread=args.threads == "one")
            summary = summarise(case, events, seeds)
            summary["worker_seconds"] = time.perf_counter() - t0
            summary["time_budget_s"] = share
            if peer:
                peer_left -= summary["worker_seconds"]
            entry["methods"][name] = summary
            print(f"  {name}: {summary['worker_seconds']:.1f} s", flush=True)
        if not peer_py:
            entry["methods"]["shapiq"] = {"skipped": "not run (shapiq not installed)"}
        report["cases"].append(entry)

    report["targets"] = check_targets(report)
    report["meta"]["total_seconds"] = time.perf_counter() - t_start
    if hasattr(os, "getloadavg"):
        report["meta"]["load_average_at_end"] = list(os.getloadavg())
    tables = make_tables(report)
    report["tables_markdown"] = tables
    print("\n" + tables + "\n")
    print("### Targets (spexkit)\n")
    for t in report["targets"]:
        print(f"- {'✓' if t['met'] else '✗'} {t['target']}: {t['detail']}")
    print(f"\ntotal: {report['meta']['total_seconds']:.0f} s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(report, indent=1, default=float) + "\n")
    tmp.replace(out)
    print(f"wrote {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    if args.update_docs:
        update_docs(Path(args.update_docs), report)
    return 0


DOCS_BEGIN, DOCS_END = "<!-- solvers:begin -->", "<!-- solvers:end -->"


def docs_block(report: dict) -> str:
    m = report["meta"]
    peer = f"shapiq {m['shapiq']} (separate venv)" if m.get("shapiq") else "shapiq not installed: peer not run"
    load = m.get("load_average_at_start"), m.get("load_average_at_end")
    load_txt = (f"; 1-min load average {load[0][0]:.1f} at the start, {load[1][0]:.1f} at the end"
                if load[0] and load[1] else "")
    head = (f"Run of {m['date']}: {m['machine']}{load_txt}; Python {m['python']}, numpy {m['numpy']}, "
            f"spexkit {m['spexkit']} at commit {m['git_commit']}"
            f"{' with uncommitted changes in spexkit/' if m.get('spexkit_uncommitted_changes') else ''}; {peer}; "
            f"{m['seeds']} seeds per case; {'one thread per method' if m['threads'] == 'one' else 'default threads'}; "
            f"total {m['total_seconds'] / 60:.1f} min (`{' '.join(['python', 'benchmarks/solvers.py'] + (['--quick'] if m['quick'] else []))}`).")
    targets = "\n".join(f"- {'✓' if t['met'] else '✗'} {t['target']}: {t['detail']}" for t in report["targets"])
    return f"{DOCS_BEGIN}\n{head}\n\n{report['tables_markdown']}\n\n### Targets (spexkit), as checked by the script\n\n{targets}\n{DOCS_END}"


def update_docs(path: Path, report: dict) -> None:
    text = path.read_text() if path.exists() else ""
    if DOCS_BEGIN in text and DOCS_END in text:
        before, rest = text.split(DOCS_BEGIN, 1)
        after = rest.split(DOCS_END, 1)[1]
        path.write_text(before + docs_block(report) + after)
        print(f"updated the generated block of {path}")
    else:
        print(f"warning: {path} has no '{DOCS_BEGIN}' ... '{DOCS_END}' block; not changed", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
