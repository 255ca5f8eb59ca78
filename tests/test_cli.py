"""The spexkit command end to end, in subprocesses."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import spexkit

from .plugin_support import install_lens_entry_points

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "spexkit", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_run_show_and_plot(tmp_path):
    out, png, cache = tmp_path / "res.json", tmp_path / "res.png", tmp_path / "c.sqlite"
    args = ["run", "--game", "planted", "--players", "300", "--terms", "6", "--degree", "2",
            "--method", "spex", "--budget", "1000", "--max-degree", "2", "--out", str(out),
            "--plot", str(png), "--cache", str(cache), "--quiet"]
    r = cli(*args)
    assert r.returncode == 0, r.stderr
    res = spexkit.Interactions.from_json(out.read_text())
    truth = spexkit.planted.planted_game(300, n_terms=6, max_degree=2, seed=0).truth
    assert res.terms == truth.terms
    assert png.stat().st_size > 5000 and png.read_bytes()[:4] == b"\x89PNG"
    assert cli(*args).returncode == 0
    assert json.loads(out.read_text())["metadata"]["queries"] == 0  # all from the cache
    shown = cli("show", str(out), "--top", "3")
    assert shown.returncode == 0
    top = res.top(1)[0][0]
    assert res.label(top) in shown.stdout and "coefficient" in shown.stdout
    for flag, bad, message in (("--top", "-1", "--top must be 0 or more"), ("--order", "0", "--order must be 1 or more")):
        refused = cli("show", str(out), flag, bad)
        assert refused.returncode == 2 and message in refused.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "--lens", "nope", "--input", "x", "--out", "o.json"], "unknown lens 'nope'"),
        (["run", "--out", "o.json"], "say what to explain"),
        (["run", "--game", "planted", "--method", "spex", "--budget", "10", "--out", "o.json"], "smallest budget"),
        (["run", "--game", "planted", "--method", "magic", "--out", "o.json"], "unknown method"),
        (["show", "missing.json"], "no such result file"),
        # checked before any model call (these used to fail after the run, or name no flag)
        (["run", "--game", "planted", "--out", "no/such/dir/o.json"], "the folder no/such/dir does not exist"),
        (["run", "--game", "planted", "--out", "."], "--out . is a folder"),
        (["run", "--game", "planted", "--out", "o.json", "--plot", "p.foo"], "give a file ending in .png"),
        (["run", "--game", "planted", "--out", "o.json", "--top", "-1"], "--top must be 0 or more"),
        (["run", "--game", "planted", "--out", "o.json", "--terms", "-1"], "--terms must be 0 or more"),
        (["run", "--game", "planted", "--out", "o.json", "--snr-db", "nan"], "--snr-db must be a finite number"),
        (["run", "--game", "planted", "--out", "o.json", "--option", "x"], "does not apply to --game"),
        (["run", "--lens", "features", "--out", "o.json"], "needs --input"),
        (["demo", "--players", "2"], "needs --players 3 or more"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, message):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_help_explains_options():
    r = cli("run", "--help")
    assert r.returncode == 0
    for flag in ("--lens", "--method", "--budget", "--cache", "--plot", "--n-jobs"):
        assert flag in r.stdout
    help_text = " ".join(r.stdout.split())  # argparse wraps lines
    missing = [m for m in spexkit.solvers.available_methods() if m not in help_text]
    assert not missing, f"--method's help omits {missing}"


def test_run_a_lens_from_an_entry_point(tmp_path):
    (tmp_path / "sum_lens.py").write_text(textwrap.dedent(
        """
        import numpy as np
        import spexkit

        class SumLens:
            def __init__(self, scale=1.0):
                self.scale = scale

            def game(self, text):
                words = text.split()
                w = self.scale * np.arange(1, len(words) + 1)
                return spexkit.Game(lambda m: m @ w, n_players=len(words), labels=words,
                                    fingerprint=f"sum:{text}:{self.scale}")
        """))
    install_lens_entry_points(tmp_path, "sum-lens", {"sum": "sum_lens:SumLens"})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    out = tmp_path / "r.json"
    r = cli("run", "--lens", "sum", "--input", "a b c", "--option", "scale=2", "--method", "exact",
            "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    res = spexkit.Interactions.from_json(out.read_text())
    assert res.labels == ["a", "b", "c"]
    assert res.shapley().round(6).tolist() == [2.0, 4.0, 6.0]


def test_demo_recovers_the_planted_game():
    r = cli("demo", "--players", "200", "--terms", "5", "--budget", "700")
    assert r.returncode == 0, r.stderr
    assert "All planted interactions recovered." in r.stdout
