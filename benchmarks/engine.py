"""Engine overhead and resume benchmark (issue: evaluation engine).

Prints a table and writes benchmarks/results/engine.json (or --out):
- per-query overhead of Evaluator on a trivial game at 100k queries, without and with the
  SQLite cache (cold: every value written; warm: every value read back);
- a run killed at ~50% and resumed: how many finished batches were evaluated again.

Run: .venv/bin/python benchmarks/engine.py
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spexkit  # noqa: E402
from spexkit.cache import EvaluationCache  # noqa: E402
from spexkit.execution import Evaluator  # noqa: E402

N_QUERIES = 100_000
N_PLAYERS = 64


def trivial(masks):
    return masks[:, 0].astype(np.float64)


def overhead(cache_path=None, batch_size=1024):
    rng = np.random.default_rng(0)
    masks = rng.random((N_QUERIES, N_PLAYERS)) < 0.5
    game = spexkit.Game(trivial, n_players=N_PLAYERS, fingerprint="trivial")
    t = time.perf_counter()
    raw = trivial(masks)
    bare = time.perf_counter() - t
    ev = Evaluator(game, batch_size=batch_size, progress=False, cache=cache_path)
    t = time.perf_counter()
    out = ev(masks)
    took = time.perf_counter() - t
    assert np.array_equal(out, raw)
    return {"seconds": took, "queries": ev.queries, "cache_hits": ev.cache_hits,
            "us_per_query": 1e6 * (took - bare) / N_QUERIES, "queries_per_s": N_QUERIES / took}


RESUME = textwrap.dedent(
    """
    import sys, time, json
    sys.path.insert(0, {root!r})
    import numpy as np, spexkit
    from spexkit.execution import Evaluator
    def slow(m):
        time.sleep(0.02)
        return m[:, 0] * 1.0
    game = spexkit.Game(slow, n_players=32, fingerprint="slow-bench")
    masks = np.random.default_rng(1).random((6400, 32)) < 0.5
    ev = Evaluator(game, batch_size=64, progress=False, cache={cache!r})
    ev(masks)
    print(json.dumps({{"queries": ev.queries, "batches": ev.batches, "hits": ev.cache_hits}}))
    """
)


def resume(tmp: Path):
    cache = str(tmp / "resume.sqlite")
    script = tmp / "resume.py"
    script.write_text(RESUME.format(root=str(ROOT), cache=cache))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = 0
    while done < 3200 and proc.poll() is None:
        time.sleep(0.05)
        if os.path.exists(cache):
            try:
                with EvaluationCache(cache, "slow-bench", 32) as c:
                    done = len(c)
            except ValueError:
                pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with EvaluationCache(cache, "slow-bench", 32) as c:
        finished = len(c)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    second = json.loads(out.stdout.strip().splitlines()[-1])
    return {"finished_before_kill": finished, "evaluated_after_resume": second["queries"],
            "reused_from_cache": second["hits"], "total": 6400,
            "finished_batches_reevaluated": (finished + second["queries"] - 6400) // 64}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "engine.json"), help="JSON path")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = {
            "no cache": overhead(None),
            "cache, cold (writes)": overhead(tmp / "bench.sqlite"),
            "cache, warm (reads)": overhead(tmp / "bench.sqlite"),
        }
        res = resume(tmp)
    print(f"Engine overhead at {N_QUERIES:,} queries on a trivial game ({N_PLAYERS} players, batches of 1024)")
    print(f"{'mode':<24}{'seconds':>10}{'µs/query':>10}{'queries/s':>14}{'paid':>10}")
    for name, r in rows.items():
        print(f"{name:<24}{r['seconds']:>10.3f}{r['us_per_query']:>10.2f}{r['queries_per_s']:>14,.0f}{r['queries']:>10}")
    print()
    print("Kill at ~50% and resume (6,400 queries in batches of 64):")
    for k, v in res.items():
        print(f"  {k}: {v}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"overhead": rows, "resume": res}, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
