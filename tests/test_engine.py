"""Evaluation engine: cache, resume, parallel backends, progress, NaN handling."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import spexkit
from spexkit.cache import CacheError, EvaluationCache
from spexkit.execution import Evaluator

from . import engine_games

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def counting_game(n=12, fingerprint="counting-additive"):
    fn = engine_games.Counting()
    return spexkit.Game(fn, n_players=n, fingerprint=fingerprint), fn


@pytest.mark.filterwarnings("ignore:SPEX explained")
@pytest.mark.parametrize("method", sorted(set(spexkit.solvers.available_methods()) - {"exact"}))
def test_a_warm_cache_changes_no_result(tmp_path, method):
    """Budgets count masks asked, cached or not: a rerun on a warm cache returns the same
    result from the same masks and pays for nothing (auto once drew extra masks for every
    cache hit, so each rerun fitted on more samples than the budget)."""
    from spexkit.planted import planted_game

    # dense enough that no method reaches its target early: each spends its whole budget
    game = planted_game(20, n_terms=40, max_degree=3, basis="fourier", seed=3)
    game = spexkit.Game(game.fn, n_players=20, fingerprint=f"warm-cache-{method}")
    path = tmp_path / "warm.sqlite"
    cold, warm = (spexkit.explain(game, method=method, budget=300, max_degree=3, seed=0, cache=path, progress=False)
                  for _ in range(2))
    assert warm.metadata["queries"] == 0 and warm.metadata["cache_hits"] == cold.metadata["asked"]
    assert cold.metadata["asked"] == warm.metadata["asked"] <= 300
    assert warm == cold


def test_cache_is_reused_across_runs_and_methods(tmp_path):
    path = tmp_path / "cache.sqlite"
    game, fn = counting_game()
    first = spexkit.explain(game, method="exact", cache=path)
    assert fn.seen == 4096 and first.metadata["queries"] == 4096
    again = spexkit.explain(game, method="exact", cache=path)
    assert fn.seen == 4096 and again.metadata["queries"] == 0 and again.metadata["cache_hits"] == 4096
    assert again == first
    # A call that repeats a mask pays for it once, and a rerun counts it once as a hit: paid
    # plus hits is the same number of distinct masks on a fresh and on a cached run.
    masks = np.array([[True] * 12, [False] * 12, [True] * 12])
    fresh_game, _ = counting_game(fingerprint="counting-repeats")
    fresh = Evaluator(fresh_game, cache=path, progress=False)
    fresh(masks)
    cached = Evaluator(fresh_game, cache=path, progress=False)
    cached(masks)
    assert (fresh.queries, fresh.cache_hits) == (2, 0) and (cached.queries, cached.cache_hits) == (0, 2)
    assert fresh.asked == cached.asked == 2  # what a budget counts: the same, cached or not
    # Another method on the same game: every mask it needs is already cached.
    kshap = spexkit.explain(game, method="kernelshap", budget=4096, cache=path)
    assert kshap.metadata["queries"] == 0
    np.testing.assert_allclose(kshap.shapley(), first.shapley(), atol=1e-10)


def test_cache_separates_games(tmp_path):
    path = tmp_path / "cache.sqlite"
    a, fa = counting_game(fingerprint="a")
    b, fb = counting_game(fingerprint="b")
    spexkit.explain(a, method="exact", cache=path)
    spexkit.explain(b, method="exact", cache=path)
    assert fa.seen == fb.seen == 4096
    with pytest.raises(CacheError, match="players"):
        EvaluationCache(path, "a", n_players=5)


def test_corrupt_and_foreign_cache_files(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    game, _ = counting_game()
    with pytest.raises(CacheError, match="not a usable spexkit cache"):
        spexkit.explain(game, method="exact", cache=junk)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(CacheError, match="not a spexkit cache"):
        spexkit.explain(game, method="exact", cache=foreign)


def test_lambda_games_need_a_fingerprint_to_be_cached(tmp_path):
    game = spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=4)
    with pytest.raises(ValueError, match="fingerprint"):
        spexkit.explain(game, method="exact", cache=tmp_path / "c.sqlite")


def test_nan_mid_run_keeps_finished_batches(tmp_path):
    calls = {"n": 0}

    def flaky(masks):
        calls["n"] += 1
        out = masks @ engine_games.WEIGHTS[:10]
        if calls["n"] == 3:
            out[5] = np.nan
        return out

    game = spexkit.Game(flaky, n_players=10, fingerprint="flaky")
    path = tmp_path / "c.sqlite"
    with pytest.raises(ValueError, match="non-finite"):
        spexkit.explain(game, method="exact", cache=path, batch_size=100)
    with EvaluationCache(path, "flaky", 10) as cache:
        assert len(cache) == 200  # the two finished batches survived
    res = spexkit.explain(game, method="exact", cache=path, batch_size=100)
    assert res.metadata["queries"] == 1024 - 200


def test_repeated_masks_are_evaluated_once():
    game, fn = counting_game(n=5)
    ev = Evaluator(game, progress=False)
    masks = np.array([[1, 0, 1, 0, 1]] * 7 + [[0] * 5], bool)
    vals = ev(masks)
    assert fn.seen == 2 and ev.queries == 2
    np.testing.assert_allclose(vals[:7], vals[0])


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_joblib_backends_match_in_process(backend):
    game = spexkit.Game(engine_games.additive, n_players=10, fingerprint="add")
    serial = spexkit.explain(game, method="exact")
    parallel = spexkit.explain(game, method="exact", n_jobs=2, backend=backend, batch_size=128)
    assert parallel == serial
    assert parallel.metadata["queries"] == 1024


def test_dask_backend_on_a_local_cluster():
    import distributed  # a test dependency (dev extra): fail loudly if missing
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with distributed.Client(cluster):
            game = spexkit.Game(engine_games.additive, n_players=9, fingerprint="add9")
            res = spexkit.explain(game, method="exact", backend="dask", n_jobs=2, batch_size=64)
    serial = spexkit.explain(game, method="exact")
    assert res == serial


def test_progress_bar_counts_queries(capsys):
    game, _ = counting_game(n=8)
    spexkit.explain(game, method="exact", progress=True, batch_size=64)
    err = capsys.readouterr().err
    assert "256/256" in err


def test_torch_games_run_without_autograd():
    import torch
    w = torch.linspace(-1, 1, 6, requires_grad=True)

    def fn(masks):
        out = torch.as_tensor(masks, dtype=torch.float32) @ w
        assert not out.requires_grad  # inference mode
        return out.numpy()

    res = spexkit.explain(spexkit.Game(fn, n_players=6), method="exact")
    np.testing.assert_allclose(res.shapley(), w.detach().numpy(), atol=1e-6)


RESUME_SCRIPT = textwrap.dedent(
    """
    import sys, json
    import spexkit
    sys.path.insert(0, {tests!r})
    import engine_games
    game = spexkit.Game(engine_games.slow_additive, n_players=10, fingerprint="slow")
    res = spexkit.explain(game, method="exact", cache={cache!r}, batch_size=32, progress=False)
    print(json.dumps({{"queries": res.metadata["queries"], "result": res.to_json()}}))
    """
)


def test_kill_and_resume(tmp_path):
    cache = str(tmp_path / "resume.sqlite")
    script = tmp_path / "run.py"
    script.write_text(RESUME_SCRIPT.format(tests=os.path.join(ROOT, "tests"), cache=cache))
    # 32 batches of 32 masks; the 11th call waits for a file that never comes, so the kill lands
    # after exactly 10 batches are stored, however loaded the machine is.
    env = dict(os.environ, SPEXKIT_TEST_HOLD_AFTER="10", SPEXKIT_TEST_HOLD_FILE=str(tmp_path / "never"))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.time() + 300
    done = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
        if os.path.exists(cache):
            try:
                with EvaluationCache(cache, "slow", 10) as c:
                    done = len(c)
            except CacheError:
                continue
            if done >= 320:
                break
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # still held, not finished or crashed
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with EvaluationCache(cache, "slow", 10) as c:
        finished = len(c)
    assert finished == 320
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    import json

    payload = json.loads(out.stdout.strip().splitlines()[-1])
    assert payload["queries"] == 1024 - finished
    fresh = spexkit.explain(spexkit.Game(engine_games.additive, n_players=10), method="exact")
    resumed = spexkit.Interactions.from_json(payload["result"])
    assert resumed.terms == fresh.terms
    np.testing.assert_allclose(resumed.coefficients, fresh.coefficients, atol=1e-12)
