"""Context attribution at document scale: which sentences of a context drove a model's answer.

Side by side with the tools people reach for: ContextCite (``context-cite`` 0.0.4, LASSO on
random sentence ablations) and captum's ``LLMAttribution`` (FeatureAblation,
ShapleyValueSampling, Lime, KernelShap), both run for real in their own virtual environment
(``benchmarks/context_peers.py`` through ``--peer-python``), on the same model and the same
prompt.

Set-up
    30 question-context items written for this benchmark (``benchmarks/data/context_items.json``),
    8-16 sentences each, in three strata of 10: one supporting sentence (``single``), two
    sentences both needed (``pair``), the supporting fact stated twice (``redundant``).
    SmolLM2-135M-Instruct on the CPU; the prompt is ContextCite's: the chat template around
    ``"Context: {sentences}\\n\\nQuery: {question}"``; the value is ContextCite's target, the
    log-odds of the item's answer (``FeatureLens(value="logit_prob")``). Players are sentences.

Methods, at budgets 32, 64, 128, 256 model calls (keep 0.5)
    ours: ``proxyspex``, ``lasso`` (order 1), ``kernelshap``, ``lime``, ``banzhaf``,
    leave-one-out (``loo``, n + 1 calls), ``spex`` at its own smallest budget (its true call
    count), ``exact`` (all 2^n masks; the oracle, items with n <= --oracle-max-n);
    peers: ``contextcite`` (its defaults; its own masks), ``captum-*`` (--captum-items items).
    ``proxyspex`` and ``lasso`` draw the same seeded masks (budget B's are the first B of
    256), and every model call goes through one SQLite cache.

Metrics (per item, then mean +- standard error over items)
    LDS: Spearman correlation of predicted and actual values on m fresh keep-0.5 masks
    (ContextCite's metric); held-out R² on the same masks (captum's attributions predict the
    log-probability: their R² is against it); top-k removal drop of the answer's
    log-probability, k = 1, 3, 5, removing the top-k sentences by attribution (Shapley value
    for ours) and, for surrogates with interactions, greedily on the surrogate; recall of the
    gold sentences in the top k; on ``pair`` items, whether the top order-2 interaction (Möbius)
    is the gold pair. Model calls and seconds per method (fit time + calls at the measured
    model time per call, since the cache makes later methods' calls free).

Throughput (--throughput)
    Prompts of >= 300 tokens (contexts extended with other items' sentences): our lens
    (micro-batches, prefix cache, shared-prefix plan) on 128 random keep-0.5 masks and on the
    n + 1 leave-one-out masks; a naive one-prompt-per-forward loop; ContextCite's own run at
    its default ``batch_size=1``; captum FeatureAblation. Queries per second, one process.
    ``--token-bound`` counts the tokens each path runs on those prompts (no forward pass):
    queries per second follow tokens on a compute-bound CPU, so the count bounds what any
    reuse of shared prefixes could gain over ContextCite's default.

Usage::

    .venv/bin/python benchmarks/context.py --quick                   # 6 items, budgets <= 64
    .venv/bin/python benchmarks/context.py --peer-python .peer-venvs/context/bin/python
    .venv/bin/python benchmarks/context.py --from-json benchmarks/results/context.json

Writes ``benchmarks/results/context.json`` (``context_quick.json`` with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spexkit  # noqa: E402
from lenses.features import FeatureLens  # noqa: E402
from spexkit.evaluation import greedy_removal_order  # noqa: E402
from spexkit.execution import Evaluator  # noqa: E402
from spexkit.masks import uniform_masks  # noqa: E402
from spexkit.metrics import r2_score  # noqa: E402
from spexkit.solvers.additive_plus import single_removal_masks  # noqa: E402

ITEMS = ROOT / "benchmarks" / "data" / "context_items.json"
RESULTS = ROOT / "benchmarks" / "results"
BUDGETS = (32, 64, 128, 256)
KS = (1, 3, 5)
SURROGATES = ("proxyspex", "lasso")  # share the seeded keep-0.5 masks
LINEAR_BASELINES = ("kernelshap", "lime", "banzhaf")
PER_CALL_PROBE = 8  # masks timed past the cache when every held-out value was cached
CAPTUM = ("FeatureAblation", "ShapleyValueSampling", "Lime", "KernelShap")


# ----------------------------------------------------------------------------- items

def load_items(quick: bool, limit: int | None = None) -> list[dict]:
    items = json.loads(ITEMS.read_text())["items"]
    if quick:  # two per stratum
        by = {}
        for it in items:
            by.setdefault(it["stratum"], []).append(it)
        items = [it for s in ("single", "pair", "redundant") for it in by[s][:2]]
    return items[:limit] if limit else items


def baseline_subset(items: list[dict], count: int) -> list[str]:
    """Ids of ``count`` items spread over the strata (round robin), for the costlier baselines."""
    by: dict[str, list[dict]] = {}
    for it in items:
        by.setdefault(it["stratum"], []).append(it)
    out: list[str] = []
    while len(out) < min(count, len(items)):
        for s in ("pair", "single", "redundant"):
            left = [it for it in by.get(s, []) if it["id"] not in out]
            if left and len(out) < count:
                out.append(left[0]["id"])
    return out


def make_lens(threads: int) -> FeatureLens:
    import torch

    torch.set_num_threads(threads)
    return FeatureLens("smollm2", value="logit_prob", segmentation="sentences", keep=0.5, device="cpu")


def budgets_of(item: dict, args) -> list[int]:
    """Budgets run on an item: single-sentence items stop at --single-max-budget (the targets
    above 64 calls concern the pair and redundant strata)."""
    cap = args.single_max_budget if item["stratum"] == "single" else None
    return [b for b in args.budgets if cap is None or b <= cap]


def game_of(lens: FeatureLens, item: dict) -> spexkit.Game:
    return lens.game(list(item["sentences"]), question=item["query"], answer=item["answer"])


def log_prob(logit: np.ndarray) -> np.ndarray:
    """log p from the log-odds log p - log(1 - p)."""
    return -np.logaddexp(0.0, -np.asarray(logit, dtype=np.float64))


# ----------------------------------------------------------------------------- metrics

def spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def top_k(scores: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in np.argsort(-np.asarray(scores), kind="stable")[:k]]


def held_out_masks(n: int, count: int, seed: int) -> np.ndarray:
    """The m fresh keep-0.5 masks every method of an item is scored on (``--mask-blocks`` finds
    their values in the cache only if it draws exactly these)."""
    return np.random.default_rng(10_000 + seed).random((count, n)) < 0.5


def removal_masks(n: int, orders: list[list[int]]) -> np.ndarray:
    rows = []
    for order in orders:
        for k in KS:
            m = np.ones(n, dtype=bool)
            m[order[: min(k, n)]] = False
            rows.append(m)
    return np.array(rows)


def top_pair(result: spexkit.Interactions) -> list[int] | None:
    pairs = result.to("mobius").top(1, order=2)
    return sorted(pairs[0][0]) if pairs and abs(pairs[0][1]) > 0 else None


def score_method(ev: Evaluator, item: dict, *, scores, predict, test_masks, test_values, full_logp,
                 scale: str = "logit", greedy: list[int] | None = None, pair=None) -> dict:
    """Every metric of one method on one item (removals are model calls, through the cache)."""
    n = len(item["sentences"])
    pred = predict(test_masks)
    actual = test_values if scale == "logit" else log_prob(test_values)
    orders = [top_k(scores, max(KS))] + ([greedy] if greedy is not None else [])
    removed = log_prob(ev(removal_masks(n, orders)))
    drops = full_logp - removed
    gold = set(item["gold"])
    out = {
        "lds": spearman(pred, test_values),
        "r2": r2_score(actual, pred),
        "drop": {str(k): float(drops[i]) for i, k in enumerate(KS)},
        "recall": {str(k): len(gold & set(orders[0][:k])) / len(gold) for k in KS},
        "top": orders[0][:max(KS)],
    }
    if greedy is not None:
        out["drop_greedy"] = {str(k): float(drops[len(KS) + i]) for i, k in enumerate(KS)}
    if item["stratum"] == "pair" and pair is not None:
        out["top_pair"] = pair
        out["pair_hit"] = pair == sorted(item["gold"])
    return out


# ----------------------------------------------------------------------------- one item

def run_item(lens: FeatureLens, item: dict, args, *, with_baselines: bool, peer: dict | None) -> dict:
    """Every method's metrics on one item; model calls go through the SQLite cache."""
    game = game_of(lens, item)
    n = game.n_players
    assert n == len(item["sentences"]), "the lens split the context differently from the item"
    load0 = os.getloadavg()[0]
    ev = Evaluator(game, cache=args.cache, progress=False)
    rec: dict = {"id": item["id"], "stratum": item["stratum"], "n": n, "gold": item["gold"],
                 "prompt_tokens": game.info["full_tokens"], "answer_tokens": len(game.info["answer_ids"]),
                 "methods": {}}
    full = ev(np.ones((1, n), dtype=bool))
    full_logp = float(log_prob(full)[0])
    rec["full_logit"] = float(full[0])
    test_masks = held_out_masks(n, args.test_masks, args.seed)
    t0 = time.perf_counter()
    before = ev.queries
    test_values = ev(test_masks)
    per_call = (time.perf_counter() - t0) / max(ev.queries - before, 1)
    if ev.queries == before:
        # Every held-out value came from the cache (a rerun after a solver change): time the
        # model on a few of those masks directly, past the cache.
        probe = test_masks[:PER_CALL_PROBE]
        t0 = time.perf_counter()
        game(probe)
        per_call = (time.perf_counter() - t0) / len(probe)
    rec["seconds_per_call"] = per_call

    def explain(method: str, budget, **options):
        """The result, the calls it needed (paid or cached) and its seconds at ``per_call`` a call."""
        res = spexkit.explain(game, method=method, budget=budget, seed=args.seed, cache=args.cache, progress=False,
                              **options)
        paid = res.metadata["queries"]
        calls = res.metadata["asked"]
        fit = max(res.metadata["time_total"] - paid * per_call, 0.0)  # model time measured apart
        return res, calls, fit + calls * per_call

    def add(name: str, budget, scores, predict, calls, seconds, **kw):
        m = score_method(ev, item, scores=np.asarray(scores, dtype=np.float64), predict=predict,
                         test_masks=test_masks, test_values=test_values, full_logp=full_logp, **kw)
        m.update(calls=int(calls), seconds=float(seconds), budget=budget)
        rec["methods"].setdefault(name, {})[str(budget)] = m

    def add_result(name: str, budget, res, calls, seconds):
        add(name, budget, res.shapley(), res.predict, calls, seconds, greedy=greedy_removal_order(res, max(KS)),
            pair=top_pair(res))

    budgets = budgets_of(item, args)
    for method in SURROGATES:
        options = {"max_degree": 1} if method == "lasso" else {}
        for b in budgets:
            add_result(method, b, *explain(method, b, **options))
    # leave-one-out: n + 1 calls, an additive surrogate
    loo_masks = single_removal_masks(n)
    loo = ev(loo_masks)
    loo_scores = loo[0] - loo[1:]
    add("loo", n + 1, loo_scores, lambda m, s=loo_scores, f=loo[0]: f - (~m).astype(float) @ s, n + 1,
        (n + 1) * per_call)
    if with_baselines:
        for method in LINEAR_BASELINES:
            for b in [b for b in budgets if b <= args.baseline_max_budget]:
                add_result(method, b, *explain(method, b))
    if item["id"] in args.spex_ids:
        res, calls, seconds = explain("spex", None)
        add_result("spex", calls, res, calls, seconds)
    if n <= args.oracle_max_n:
        add_result("exact", 2 ** n, *explain("exact", None))
    cc_rows = (peer or {}).get("contextcite") or []
    if cc_rows and cc_rows[-1].get("masks"):
        # ContextCite measured the same function: its values on its masks against ours.
        their_masks = np.asarray(cc_rows[-1]["masks"], dtype=bool)[:16]
        ours = ev(their_masks)
        rec["contextcite_value_gap"] = float(np.max(np.abs(ours - np.asarray(cc_rows[-1]["values"])[:16])))
    for name, rows in (peer or {}).items():
        for r in rows:
            scores = np.asarray(r["scores"], dtype=np.float64)
            scale = "logit" if name == "contextcite" else "logp"  # captum's target is the log-probability
            if r.get("intercept") is not None:  # ContextCite, Lime, KernelShap: a fitted linear model
                predict = (lambda m, s=scores, c=r["intercept"]: c + m.astype(float) @ s)
            else:  # FeatureAblation, Shapley sampling: additive around the full prompt
                predict = (lambda m, s=scores: full_logp - (~m).astype(float) @ s)
            calls = r.get("num_ablations") or r.get("evaluations") or r["forward_calls"]  # model evaluations
            add(name if name == "contextcite" else "captum-" + r["method"], r.get("budget") or n + 1, scores, predict,
                calls, r["wall_s"], scale=scale)
    rec["load_average"] = [load0, os.getloadavg()[0]]
    rec["queries"] = ev.queries
    if ev.cache is not None:
        ev.cache.close()
    return rec


# ----------------------------------------------------------------------------- peers

def run_peers(python: str, items: list[dict], captum_ids: list[str], args, throughput: list[dict] | None = None) -> dict:
    """ContextCite on every item, captum on ``captum_ids``; returns the worker's JSON."""
    from lenses.packaged import smollm2_dir

    spec = {"model_dir": str(smollm2_dir()), "seed": args.seed, "threads": args.threads,
            "items": [{**{k: it[k] for k in ("id", "sentences", "query", "answer")},
                       "contextcite_budgets": budgets_of(it, args)} for it in items],
            "contextcite_budgets": list(args.budgets), "contextcite_nested": True,
            "contextcite_batch_size": args.contextcite_batch_size,
            "captum_methods": [], "captum_budgets": list(args.captum_budgets), "record_evaluations": False}
    out: dict = {"items": []}
    with tempfile.TemporaryDirectory() as tmp:
        def call(spec_part: dict, name: str) -> dict:
            inp, res = Path(tmp) / f"{name}.json", Path(tmp) / f"{name}.out.json"
            inp.write_text(json.dumps(spec_part))
            env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
            subprocess.run([python, str(ROOT / "benchmarks" / "context_peers.py"), str(inp), str(res)], check=True,
                           env=env)
            return json.loads(res.read_text())

        if items:
            out = call(spec, "contextcite")
        if captum_ids:
            sub = dict(spec, items=[{k: s[k] for k in ("id", "sentences", "query", "answer")} for s in spec["items"]
                                    if s["id"] in captum_ids], contextcite_budgets=[], captum_methods=list(CAPTUM))
            cap = call(sub, "captum")
            by = {r["id"]: r for r in cap["items"]}
            for r in out["items"]:
                r["captum"] = by.get(r["id"], {}).get("captum", [])
            out["captum_settings"] = cap.get("settings")
        if throughput:
            tp = dict(spec, items=[{k: it[k] for k in ("id", "sentences", "query", "answer")} for it in throughput],
                      contextcite_budgets=[], contextcite_batch_size=None, captum_methods=[],
                      throughput={"calls": args.throughput_masks})
            out["throughput"] = call(tp, "throughput")
    return out


# ----------------------------------------------------------------------------- throughput

def throughput_items(items: list[dict], lens: FeatureLens, count: int, min_tokens: int = 300) -> list[dict]:
    """Items whose context is extended with other items' distractors until the prompt has >= min_tokens."""
    pool = [s for it in items for i, s in enumerate(it["sentences"]) if i not in it["gold"]]
    out = []
    for j, item in enumerate(sorted(items, key=lambda it: -len(it["sentences"]))[:count]):
        sentences = list(item["sentences"])
        k = 0
        while game_of(lens, dict(item, sentences=sentences)).info["full_tokens"] < min_tokens:
            sentences.append(pool[(17 * j + k) % len(pool)])
            k += 1
        out.append(dict(item, id=item["id"] + "-long", sentences=sentences))
    return out


def throughput_random_masks(n: int, count: int, seed: int) -> np.ndarray:
    """The random keep-0.5 masks of the throughput run; ``--token-bound`` counts the same ones."""
    return uniform_masks(n, count, keep=0.5, seed=seed)


def measure_ours(lens: FeatureLens, items: list[dict], n_masks: int, seed: int) -> list[dict]:
    """Our queries per second on each prompt: the lens's path on random and leave-one-out
    masks, and the naive path; every mode runs the lens's model, loaded once."""
    backend = lens.load().backend_
    model = (backend.model, backend.tokenizer)
    rows = []
    for item in items:
        n = len(item["sentences"])
        random = throughput_random_masks(n, n_masks, seed)
        loo = single_removal_masks(n)
        rec = {"id": item["id"], "n": n}
        for name, kw, masks in (("ours", {}, random), ("ours (leave-one-out)", {}, loo),
                                ("naive one prompt per forward", {"reuse_prefix": False, "batch_size": 1},
                                 random[: max(16, n_masks // 4)])):
            game = game_of(FeatureLens(model, value="logit_prob", segmentation="sentences", keep=0.5, **kw), item)
            game.batch_size = len(masks)
            game(masks[:1])
            t = time.perf_counter()
            game(masks)
            dt = time.perf_counter() - t
            rec[name] = {"masks": len(masks), "seconds": dt, "queries_per_s": len(masks) / dt}
            rec["prompt_tokens"] = game.info["full_tokens"]
        rows.append(rec)
        print(f"  throughput {item['id']}: {rec['prompt_tokens']} tokens, ours {rec['ours']['queries_per_s']:.2f} q/s, "
              f"LOO {rec['ours (leave-one-out)']['queries_per_s']:.2f} q/s, naive "
              f"{rec['naive one prompt per forward']['queries_per_s']:.2f} q/s", flush=True)
    return rows


def throughput_table(ours: list[dict], raw: dict | None) -> dict:
    """Queries per second of every path, and ours over the peers' (mean over the prompts)."""
    out: dict = {"ours": ours, "load_average": os.getloadavg()}
    if raw is None or not raw.get("throughput"):
        return out
    theirs = raw["throughput"]["items"]
    out["peers"] = [r["throughput"] | {"id": r["id"], "prompt_tokens": r["prompt_tokens"]} for r in theirs]
    q = {k: float(np.mean([r[k]["queries_per_s"] for r in ours])) for k in
         ("ours", "ours (leave-one-out)", "naive one prompt per forward")}
    q["contextcite"] = float(np.mean([r["contextcite"]["queries_per_s"] for r in out["peers"]]))
    q["captum FeatureAblation"] = float(np.mean([r["captum_feature_ablation"]["queries_per_s"] for r in out["peers"]]))
    out["queries_per_s"] = q
    out["ratios"] = {"ours / contextcite": q["ours"] / q["contextcite"],
                     "ours (leave-one-out) / captum FeatureAblation":
                         q["ours (leave-one-out)"] / q["captum FeatureAblation"],
                     "ours / naive": q["ours"] / q["naive one prompt per forward"]}
    return out


def rerun_throughput(args, out_path: Path) -> int:
    """--only-throughput: measure the peers' and our throughput again, in this one process,
    and update the results file's throughput table and targets."""
    data = json.loads(out_path.read_text())
    items = load_items(data["quick"])
    lens = make_lens(args.threads)
    long_items = throughput_items(items, lens, 3)
    raw = run_peers(args.peer_python, [], [], args, long_items) if args.peer_python else None
    data["throughput"] = throughput_table(measure_ours(lens, long_items, args.throughput_masks, args.seed), raw)
    data["targets"] = targets(data["summary"], data["pair_target"], data["throughput"])
    out_path.write_text(json.dumps(data, indent=1, default=float))
    print(json.dumps({"throughput": data["throughput"].get("queries_per_s"),
                      "ratios": data["throughput"].get("ratios")}, indent=1))
    return 0


# ----------------------------------------------------------------------------- token bound

TOKEN_BOUND_MASKS = (32, 128, 256)


def head_share(config) -> float:
    """Multiply-adds of the output head per token over those of all the layers (a Llama-style
    config): what running the head at every position, as ContextCite does, adds to a forward."""
    d, ffn, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    head_dim = getattr(config, "head_dim", None) or d // config.num_attention_heads
    kv = config.num_key_value_heads * head_dim
    per_layer = 2 * d * d + 2 * d * kv + 3 * d * ffn  # q and o, k and v, the gated MLP
    return config.vocab_size * d / (layers * per_layer)


def token_counts(prefix_len: int, bodies, keep: int, *, share: float, overhead: int = 0,
                 micro_batch: int = 16) -> dict:
    """Tokens a mask: the lens's flat path, its planned path and a perfect prefix tree, against
    the peers' (every masked prompt in full, the output head at every position, as ContextCite
    and captum run them).

    ``planned`` counts padding and ``overhead`` tokens a forward pass, as the lens's planner
    does; ``ideal`` runs every shared prefix once with neither. Queries per second follow
    tokens on a compute-bound CPU, so ``full / ideal`` bounds what any reuse of shared
    prefixes can gain over the peers' defaults on these masks.
    """
    from lenses.features.backends import plan_shared_prefixes

    m = len(bodies)
    flat = sum(len(b) for b in bodies)
    planned = plan_shared_prefixes(bodies, keep, overhead=overhead, micro_batch=micro_batch).cost
    ideal = plan_shared_prefixes(bodies, keep, overhead=0, micro_batch=1).cost
    theirs = sum(prefix_len + len(b) for b in bodies) * (1 + share)
    return {"masks": m, "flat": flat / m, "planned": planned / m, "ideal": ideal / m, "full": theirs / m,
            "full / flat": theirs / flat, "full / ideal": theirs / ideal}


def token_bound(args, out_path: Path) -> int:
    """--token-bound: the tokens each path runs on the throughput prompts' random keep-0.5 masks
    (ContextCite's) and leave-one-out masks (captum FeatureAblation's), through the lens's
    tokenisation with no forward pass; written to ``context_token_bound.json``."""
    import torch

    lens = make_lens(args.threads)
    items = throughput_items(load_items(False), lens, 3)
    backend = lens.load().backend_
    model = (backend.model, backend.tokenizer)
    share = head_share(backend.model.config)
    rows = []
    for item in items:
        n = len(item["sentences"])
        designs = [("random", throughput_random_masks(n, count, args.seed)) for count in TOKEN_BOUND_MASKS]
        designs.append(("leave-one-out", single_removal_masks(n)))
        for kind, masks in designs:
            count = len(masks)
            probe = FeatureLens(model, value="logit_prob", segmentation="sentences", keep=0.5).load()
            seen: dict = {}

            def capture(prefix, bodies, keep, kv=None, seen=seen, vocab=backend.model.config.vocab_size):
                # record what the lens would run, and answer without running it
                seen.update(prefix=list(prefix), bodies=[list(b) for b in bodies], keep=keep)
                return torch.zeros((len(bodies), keep, vocab))

            probe.backend_.last_logits = capture
            game = game_of(probe, item)
            game.batch_size = count
            game(masks)
            counts = token_counts(len(seen["prefix"]), seen["bodies"], seen["keep"], share=share,
                                  overhead=probe.backend_.forward_overhead, micro_batch=probe.backend_.micro_batch)
            rows.append({"id": item["id"], "n": n, "masks_kind": kind, "prompt_tokens": game.info["full_tokens"],
                         "prefix_tokens": len(seen["prefix"])} | counts)
            print(f"  {item['id']} n={n} {count} {kind} masks: tokens a mask flat {counts['flat']:.0f}, planned "
                  f"{counts['planned']:.0f}, ideal {counts['ideal']:.0f}; full prompts {counts['full']:.0f} "
                  f"(over ideal {counts['full / ideal']:.2f}x)", flush=True)
    report = {"benchmark": "context token bound", "model": "SmolLM2-135M-Instruct", "head_share": share,
              "seed": args.seed, "rows": rows}
    for key in [f"random {c}" for c in TOKEN_BOUND_MASKS] + ["leave-one-out"]:
        sub = [r for r in rows if key in (f"{r['masks_kind']} {r['masks']}", r["masks_kind"])]
        report[f"full / ideal, {key}"] = [min(r["full / ideal"] for r in sub), max(r["full / ideal"] for r in sub)]
    out_path.write_text(json.dumps(report, indent=1, default=float))
    print(f"wrote {out_path}")
    return 0


# ----------------------------------------------------------------------------- mask blocks

BLOCK_BUDGETS = (32, 64)
BLOCK_FIT_SEEDS = (0,)  # ProxySPEX averages five fits at these budgets already


def mask_blocks(masks: np.ndarray, values: np.ndarray, budget: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Disjoint consecutive blocks of ``budget`` masks with their values.

    Both mask sources are sequences of independent draws (ContextCite's mask k comes from
    ``RandomState(k)``; our budget-B masks are the first B of the seeded 256), so a run at 256
    calls holds 256 / B independent budget-B runs, already paid for.

    >>> blocks = mask_blocks(np.zeros((70, 3), bool), np.arange(70.0), 32)
    >>> len(blocks), blocks[1][1][0]
    (2, 32.0)
    """
    return [(masks[j * budget:(j + 1) * budget], values[j * budget:(j + 1) * budget])
            for j in range(len(values) // budget)]


def summarise_blocks(rows: list[dict], ours_key: str = "ours", theirs_key: str = "theirs") -> dict:
    """Paired comparison per budget and mask source, each item counted once.

    ``rows``: one per (item, budget, source, block) with ``row[ours_key]`` (our figure per fit
    seed; LDS by default) and ``row[theirs_key]`` (ContextCite's, deterministic). Per item,
    both are averaged over its blocks (and our seeds); the table gives the mean ± SE over
    items, the mean paired difference, the items where ours is ahead, the (block, seed) fits
    ahead, and the spread of the per-block means (each block a fresh draw of the budget's masks).

    >>> rows = [{"id": i, "budget": 32, "source": "s", "block": b, "ours": [0.9, 0.8], "theirs": 0.8}
    ...         for i in "ab" for b in range(2)]
    >>> out = summarise_blocks(rows)["32"]["s"]
    >>> round(out["difference"][0], 3), out["items_ahead"], out["fits_ahead"], out["fits"]
    (0.05, 2, 4, 8)
    """
    out: dict = {}
    for b in sorted({r["budget"] for r in rows}):
        for source in sorted({r["source"] for r in rows}) + ["both"]:
            sel = [r for r in rows if r["budget"] == b and (source == "both" or r["source"] == source)]
            if not sel:
                continue
            ids = sorted({r["id"] for r in sel})
            ours = {i: np.mean([np.mean(r[ours_key]) for r in sel if r["id"] == i]) for i in ids}
            theirs = {i: np.mean([r[theirs_key] for r in sel if r["id"] == i]) for i in ids}
            by_block: dict = {}
            for r in sel:
                by_block.setdefault((r["source"], r["block"]), []).append(np.mean(r[ours_key]) - r[theirs_key])
            block_means = [float(np.mean(v)) for v in by_block.values()]
            out.setdefault(str(b), {})[source] = {
                "items": len(ids), "blocks": len(by_block), "fits": sum(len(r[ours_key]) for r in sel),
                "proxyspex": mean_se([ours[i] for i in ids]), "contextcite": mean_se([theirs[i] for i in ids]),
                "difference": mean_se([ours[i] - theirs[i] for i in ids]),
                "items_ahead": int(sum(ours[i] > theirs[i] for i in ids)),
                "fits_ahead": int(sum(x > r[theirs_key] for r in sel for x in r[ours_key])),
                "block_difference_range": [min(block_means), max(block_means)],
            }
    return out


def solve_contextcite(python: str, fits: list[dict]) -> dict:
    """ContextCite's own solver on each fit's masks and values, in its venv (no model calls)."""
    with tempfile.TemporaryDirectory() as tmp:
        inp, res = Path(tmp) / "fits.json", Path(tmp) / "fits.out.json"
        inp.write_text(json.dumps({"fits": fits}))
        subprocess.run([python, str(ROOT / "benchmarks" / "context_peers.py"), str(inp), str(res), "--solve"],
                       check=True)
        return json.loads(res.read_text())


def score_blocks(jobs: list[dict], solved: dict) -> list[dict]:
    """LDS and R² on each job's held-out masks: ours from the job's predictions (one per fit
    seed), ContextCite's from its solver's weights and bias (``solved[key]``)."""
    rows = []
    for job in jobs:
        f = solved[job["key"]]
        theirs = f["bias"] + job["test"].astype(float) @ np.asarray(f["weights"], dtype=np.float64)
        tv = job["test_values"]
        rows.append({k: job[k] for k in ("id", "stratum", "budget", "source", "block")} | {
            "ours": [spearman(p, tv) for p in job["ours_pred"]], "theirs": spearman(theirs, tv),
            "ours_r2": [r2_score(tv, p) for p in job["ours_pred"]], "theirs_r2": r2_score(tv, theirs)})
    return rows


def rerun_mask_blocks(args, out_path: Path) -> int:
    """--mask-blocks: ProxySPEX and ContextCite's own solver on every disjoint block of 32 and
    64 masks that the benchmark already paid for (ContextCite's masks and ours), LDS and R² on
    each item's held-out masks, and the drop when each fit's top-k sentences are removed (the
    only model calls, through the cache). Adds ``mask_blocks`` to the results file."""
    from spexkit.solvers.proxyspex import fit_samples

    if not args.peer_python:
        raise SystemExit("--mask-blocks needs --peer-python (ContextCite's solver runs in its venv)")
    data = json.loads(out_path.read_text())
    raw = json.loads(Path(args.peer_json).read_text())
    cc_by_id = {r["id"]: r for r in raw["items"]}
    items = [it for it in load_items(data["quick"]) if it["id"] in cc_by_id]
    lens = make_lens(args.threads)
    fits, jobs, evaluators = [], [], {}
    for item in items:
        game = game_of(lens, item)
        n = game.n_players
        ev = evaluators[item["id"]] = Evaluator(game, cache=args.cache, progress=False)
        test = held_out_masks(n, data["test_masks"], data["seed"])
        test_values = ev(test)
        cc = max(cc_by_id[item["id"]]["contextcite"], key=lambda r: r["budget"])
        top = max(budgets_of(item, argparse.Namespace(budgets=data["budgets"], single_max_budget=data["single_max_budget"])))
        ours_masks = uniform_masks(n, top, keep=0.5, seed=np.random.default_rng(data["seed"]))
        before = ev.queries
        sources = {"contextcite masks": (np.asarray(cc["masks"], dtype=bool), np.asarray(cc["values"], dtype=float)),
                   "our masks": (ours_masks, ev(ours_masks))}
        if ev.queries != before:
            print(f"[{item['id']}] note: {ev.queries - before} of our masks were not in the cache", flush=True)
        for source, (masks, values) in sources.items():
            for b in BLOCK_BUDGETS:
                for j, (mb, vb) in enumerate(mask_blocks(masks, values, b)):
                    key = f"{item['id']}|{source}|{b}|{j}"
                    fits.append({"key": key, "masks": mb.astype(int).tolist(), "values": vb.tolist(),
                                 "n_tokens": len(cc_by_id[item["id"]]["answer_ids"])})
                    results = [fit_samples(mb, vb, None, np.random.default_rng(s)) for s in BLOCK_FIT_SEEDS]
                    jobs.append({"key": key, "id": item["id"], "stratum": item["stratum"], "budget": b,
                                 "source": source, "block": j, "test": test, "test_values": test_values,
                                 "ours_pred": [r.predict(test) for r in results],
                                 "ours_scores": [r.shapley() for r in results]})
        print(f"[{item['id']}] {sum(j['id'] == item['id'] for j in jobs)} blocks", flush=True)
    solved = {f["key"]: f for f in solve_contextcite(args.peer_python, fits)["fits"]}
    rows = score_blocks(jobs, solved)
    # Removal drops: removing each block's top-k sentences is a model call (through the cache).
    for item in items:
        ev = evaluators[item["id"]]
        n, before = ev.game.n_players, ev.queries
        full_logp = float(log_prob(ev(np.ones((1, n), dtype=bool)))[0])
        for job, row in zip(jobs, rows):
            if job["id"] != item["id"]:
                continue
            orders = [top_k(sc, max(KS)) for sc in job["ours_scores"]]
            orders.append(top_k(np.asarray(solved[job["key"]]["weights"]), max(KS)))
            drops = (full_logp - log_prob(ev(removal_masks(n, orders)))).reshape(len(orders), len(KS))
            for i, k in enumerate(KS):
                row[f"ours_drop{k}"], row[f"theirs_drop{k}"] = drops[:-1, i].tolist(), float(drops[-1, i])
        if ev.cache is not None:
            ev.cache.close()
        print(f"[{item['id']}] removal drops: {ev.queries - before} model calls", flush=True)
    data["mask_blocks"] = {**kept_block_records(data), "budgets": list(BLOCK_BUDGETS), "fit_seeds": list(BLOCK_FIT_SEEDS),
                           "lds": summarise_blocks(rows), "r2": summarise_blocks(rows, "ours_r2", "theirs_r2"),
                           **{f"drop{k}": summarise_blocks(rows, f"ours_drop{k}", f"theirs_drop{k}") for k in (1, 3)},
                           "rows": rows}
    out_path.write_text(json.dumps(data, indent=1, default=float))
    print(blocks_markdown(data["mask_blocks"]))
    return 0


def kept_block_records(report: dict) -> dict:
    """The part of a results file's ``mask_blocks`` that no rerun recomputes: the comparison
    with one fit, from before ProxySPEX averaged five (``one_fit_before``), kept for the record."""
    return {k: v for k, v in report.get("mask_blocks", {}).items() if k == "one_fit_before"}


def blocks_markdown(blocks: dict) -> str:
    """The mask-block comparison as a Markdown table."""
    def drop3(b: str, source: str, who: str) -> str:
        table = blocks.get("drop3", {}).get(b, {}).get(source)
        return fmt(table[who]) if table else "–"

    lines = ["| budget | masks | items | blocks | fits | LDS ProxySPEX | LDS ContextCite | difference | items ahead "
             "| fits ahead | per-block difference | R² ProxySPEX | R² ContextCite | drop@3 ProxySPEX | drop@3 ContextCite |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for b, by_source in blocks["lds"].items():
        for source, t in by_source.items():
            r2 = blocks["r2"][b][source]
            lo, hi = t["block_difference_range"]
            lines.append(f"| {b} | {source} | {t['items']} | {t['blocks']} | {t['fits']} | {fmt(t['proxyspex'])} | "
                         f"{fmt(t['contextcite'])} | {t['difference'][0]:+.3f} ± {t['difference'][1]:.3f} | "
                         f"{t['items_ahead']}/{t['items']} | {t['fits_ahead']}/{t['fits']} | {lo:+.3f} to {hi:+.3f} | "
                         f"{fmt(r2['proxyspex'])} | {fmt(r2['contextcite'])} | {drop3(b, source, 'proxyspex')} | "
                         f"{drop3(b, source, 'contextcite')} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- summary

def mean_se(values: list[float]) -> tuple[float, float, int]:
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        return float("nan"), float("nan"), 0
    se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else 0.0
    return float(v.mean()), se, int(v.size)


def summarise(records: list[dict]) -> dict:
    """Mean +- SE over items per method, budget and stratum ("all" too)."""
    table: dict = {}
    for stratum in ("all", "single", "pair", "redundant"):
        recs = [r for r in records if stratum == "all" or r["stratum"] == stratum]
        names = sorted({m for r in recs for m in r["methods"]})
        for name in names:
            budgets = sorted({b for r in recs for b in r["methods"].get(name, {})}, key=lambda b: int(b))
            budgets = budgets if name not in ("loo", "spex", "exact", "captum-FeatureAblation") else ["own"]
            for b in budgets:
                rows = [(r["methods"][name][b] if b != "own" else next(iter(r["methods"][name].values())))
                        for r in recs if name in r["methods"] and (b == "own" or b in r["methods"][name])]
                if not rows:
                    continue
                entry = {"items": len(rows)}
                for key in ("lds", "r2", "calls", "seconds"):
                    entry[key] = mean_se([x[key] for x in rows])
                for key in ("drop", "drop_greedy", "recall"):
                    if all(key in x for x in rows):
                        entry[key] = {k: mean_se([x[key][k] for x in rows]) for k in map(str, KS)}
                hits = [x["pair_hit"] for x in rows if "pair_hit" in x]
                if hits:
                    entry["pair_hits"] = [int(sum(hits)), len(hits)]
                table.setdefault(stratum, {}).setdefault(name, {})[b] = entry
    return table


def pair_target(records: list[dict], budget: str = "128") -> dict:
    """Pair items where the exact oracle's top order-2 term is the gold pair: proxyspex's hits there."""
    eligible = [r for r in records if r["stratum"] == "pair" and r["methods"].get("exact")
                and next(iter(r["methods"]["exact"].values())).get("pair_hit")]
    hits = [r["id"] for r in eligible if r["methods"].get("proxyspex", {}).get(budget, {}).get("pair_hit")]
    oracle = [r for r in records if r["stratum"] == "pair" and r["methods"].get("exact")]
    return {"budget": int(budget), "oracle_items": len(oracle), "eligible": len(eligible), "hits": len(hits),
            "hit_ids": hits}


def fmt(ms: tuple[float, float, int], digits: int = 2) -> str:
    m, s, _ = ms
    return "n/a" if not np.isfinite(m) else f"{m:.{digits}f} ± {s:.{digits}f}"


def print_table(summary: dict, stratum: str = "all") -> None:
    print(f"\n== {stratum} ==")
    head = f"{'method':26s} {'budget':>6s} {'items':>5s} {'LDS':>13s} {'R2':>13s} {'drop@1':>13s} {'drop@3':>13s} " \
           f"{'recall@1':>13s} {'calls':>7s} {'seconds':>8s} pair"
    print(head)
    for name, by in summary.get(stratum, {}).items():
        for b, e in by.items():
            pair = f"{e['pair_hits'][0]}/{e['pair_hits'][1]}" if "pair_hits" in e else ""
            print(f"{name:26s} {b:>6s} {e['items']:5d} {fmt(e['lds']):>13s} {fmt(e['r2']):>13s} "
                  f"{fmt(e['drop']['1']):>13s} {fmt(e['drop']['3']):>13s} {fmt(e['recall']['1']):>13s} "
                  f"{e['calls'][0]:7.0f} {e['seconds'][0]:8.1f} {pair}")


ORDER = ("proxyspex", "lasso", "kernelshap", "lime", "banzhaf", "loo", "spex", "exact", "contextcite",
         "captum-FeatureAblation", "captum-ShapleyValueSampling", "captum-Lime", "captum-KernelShap")


def markdown(summary: dict, stratum: str = "all") -> str:
    """One stratum's table as Markdown (docs/benchmarks.md), methods in a fixed order."""
    lines = ["| method | budget | items | LDS | R² | drop@1 | drop@3 | drop@5 | recall@1 | recall@3 | calls | s | pair |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    rows = summary.get(stratum, {})
    for name in [m for m in ORDER if m in rows] + [m for m in rows if m not in ORDER]:
        for b, e in rows[name].items():
            pair = f"{e['pair_hits'][0]}/{e['pair_hits'][1]}" if "pair_hits" in e else ""
            lines.append(f"| {name} | {b} | {e['items']} | {fmt(e['lds'])} | {fmt(e['r2'])} | {fmt(e['drop']['1'])} | "
                         f"{fmt(e['drop']['3'])} | {fmt(e['drop']['5'])} | {fmt(e['recall']['1'])} | "
                         f"{fmt(e['recall']['3'])} | {e['calls'][0]:.0f} | {e['seconds'][0]:.1f} | {pair} |")
    return "\n".join(lines)


def targets(summary: dict, pair: dict, throughput: dict | None) -> dict:
    """The issue's targets, each met or not, from the summary."""
    out: dict = {}
    a = summary.get("all", {})
    cc, px = a.get("contextcite", {}), a.get("proxyspex", {})
    for b in ("32", "64"):
        if b in cc and b in px:
            out[f"LDS proxyspex >= ContextCite at {b} (all items)"] = px[b]["lds"][0] >= cc[b]["lds"][0]
    for s in ("pair", "redundant"):
        sc, sp = summary.get(s, {}).get("contextcite", {}), summary.get(s, {}).get("proxyspex", {})
        for b in ("128", "256"):
            if b in sc and b in sp:
                out[f"LDS proxyspex > ContextCite on {s} at {b}"] = sp[b]["lds"][0] > sc[b]["lds"][0]
    for k in ("1", "3"):
        ok = [px[b]["drop"][k][0] >= cc[b]["drop"][k][0] for b in px if b in cc]
        if ok:
            out[f"top-{k} removal drop proxyspex >= ContextCite at every budget"] = all(ok)
    if pair["eligible"]:
        out["pair items: top order-2 term is the gold pair (>= 7 of 10 eligible)"] = \
            pair["hits"] >= min(7, pair["eligible"]) if pair["eligible"] < 10 else pair["hits"] >= 7
    if throughput and throughput.get("ratios"):
        r = throughput["ratios"]
        out["throughput >= 2x ContextCite's default"] = r["ours / contextcite"] >= 2
        out["throughput >= 3x captum FeatureAblation"] = r["ours (leave-one-out) / captum FeatureAblation"] >= 3
    return out


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="6 items, budgets 32 and 64, 32 held-out masks")
    p.add_argument("--items", type=int, default=None, help="only the first N items")
    p.add_argument("--budgets", type=int, nargs="+", default=None)
    p.add_argument("--test-masks", type=int, default=None, help="held-out masks per item (m; default 256)")
    p.add_argument("--single-max-budget", type=int, default=None, help="largest budget on single items (default 64)")
    p.add_argument("--baseline-items", type=int, default=None, help="items for kernelshap/lime/banzhaf (default 5)")
    p.add_argument("--baseline-max-budget", type=int, default=64)
    p.add_argument("--captum-items", type=int, default=None, help="items for captum (default 10)")
    p.add_argument("--captum-budgets", type=int, nargs="+", default=[32, 64])
    p.add_argument("--spex-items", type=int, default=1, help="items on which spex runs at its own budget")
    p.add_argument("--oracle-max-n", type=int, default=9, help="exact oracle on pair items with at most this many sentences")
    p.add_argument("--contextcite-batch-size", type=int, default=16,
                   help="ContextCite's ablations per forward in the accuracy runs (speed only; throughput uses its default 1)")
    p.add_argument("--peer-json", default=None, help="reuse (or save) the peers' raw output here (default: beside the cache)")
    p.add_argument("--peer-python", default=None, help="Python of the ContextCite + captum venv")
    p.add_argument("--throughput", action="store_true")
    p.add_argument("--throughput-masks", type=int, default=128)
    p.add_argument("--only-throughput", action="store_true",
                   help="measure throughput again (ours and the peers') and update the results file")
    p.add_argument("--token-bound", action="store_true",
                   help="count the tokens each path runs on the throughput prompts (no forward pass): the most "
                        "any reuse of shared prefixes could gain over ContextCite's default")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache", default=None, help="SQLite cache of model calls (default: in the results folder)")
    p.add_argument("--out", default=None)
    p.add_argument("--from-json", default=None, help="print the tables of a results file")
    p.add_argument("--markdown", action="store_true", help="with --from-json: Markdown tables")
    p.add_argument("--mask-blocks", action="store_true",
                   help="refit ProxySPEX and ContextCite's solver on every disjoint block of 32 and 64 masks already "
                        "paid for (needs --peer-python; model calls only for the top-k removals) and add the "
                        "comparison to the results file")
    args = p.parse_args(argv)

    if args.from_json:
        data = json.loads(Path(args.from_json).read_text())
        for s in ("all", "single", "pair", "redundant"):
            if args.markdown:
                print(f"\n**{s}**\n\n" + markdown(data["summary"], s))
            else:
                print_table(data["summary"], s)
        if data.get("mask_blocks"):
            print("\nmask blocks (LDS and R² per budget and mask source):\n" + blocks_markdown(data["mask_blocks"]))
        print(json.dumps({"pair_target": data["pair_target"], "targets": data["targets"]}, indent=1))
        return 0

    args.budgets = args.budgets or ([32, 64] if args.quick else list(BUDGETS))
    args.test_masks = args.test_masks or (32 if args.quick else 256)
    args.baseline_items = args.baseline_items if args.baseline_items is not None else (1 if args.quick else 5)
    args.captum_items = args.captum_items if args.captum_items is not None else (2 if args.quick else 10)
    args.single_max_budget = args.single_max_budget or 64
    if args.quick:
        args.oracle_max_n = min(args.oracle_max_n, 8)
        args.captum_budgets = [32]
        args.baseline_max_budget = 32
        args.spex_items = 0 if "--spex-items" not in (argv or sys.argv) else args.spex_items
    out_path = Path(args.out) if args.out else RESULTS / ("context_quick.json" if args.quick else "context.json")
    args.cache = args.cache or str(out_path.parent / f".{out_path.stem}_cache.sqlite")
    args.peer_json = args.peer_json or str(out_path.parent / f".{out_path.stem}_peers.json")
    if args.only_throughput:
        return rerun_throughput(args, out_path)
    if args.mask_blocks:
        return rerun_mask_blocks(args, out_path)
    if args.token_bound:
        return token_bound(args, Path(args.out) if args.out else RESULTS / "context_token_bound.json")
    items = load_items(args.quick, args.items)
    if out_path.is_file():
        earlier = json.loads(out_path.read_text())
        args.earlier_throughput = earlier.get("throughput")
        args.earlier_blocks = kept_block_records(earlier)
    extra_ids = baseline_subset(items, args.baseline_items)
    captum_ids = baseline_subset(items, args.captum_items)
    args.spex_ids = baseline_subset(items, args.spex_items)

    lens = make_lens(args.threads)
    peers: dict = {}
    peer_settings = None
    long_items = throughput_items(items, lens, 3) if args.throughput else []
    raw = None
    if args.peer_json and Path(args.peer_json).is_file():
        raw = json.loads(Path(args.peer_json).read_text())
    elif args.peer_python:
        t = time.perf_counter()
        raw = run_peers(args.peer_python, items, captum_ids, args, long_items or None)
        print(f"peers: {time.perf_counter() - t:.0f} s", flush=True)
        if args.peer_json:
            Path(args.peer_json).write_text(json.dumps(raw))
    if raw is not None:
        peer_settings = {k: raw.get(k) for k in ("versions", "settings", "captum_settings", "prompt_example")}
        for r in raw["items"]:
            peers[r["id"]] = {"contextcite": r.get("contextcite", [])}
            for c in r.get("captum", []):
                peers[r["id"]].setdefault("captum", []).append(c)
        ours_prompt = game_of(lens, items[0]).info["prompt"]
        if raw.get("prompt_example") is not None and raw["prompt_example"] != ours_prompt:
            raise SystemExit("ContextCite's prompt differs from ours:\n" + raw["prompt_example"] + "\n---\n" + ours_prompt)
    records = []
    for item in items:
        t = time.perf_counter()
        rec = run_item(lens, item, args, with_baselines=item["id"] in extra_ids, peer=_split_captum(peers.get(item["id"])))
        records.append(rec)
        top = budgets_of(item, args)[-1]
        px = rec["methods"]["proxyspex"][str(top)]
        print(f"[{item['id']}] n={rec['n']} {rec['prompt_tokens']} tokens, {rec['queries']} model calls, "
              f"{time.perf_counter() - t:.0f} s; proxyspex@{top} LDS {px['lds']:.2f} R2 {px['r2']:.2f}", flush=True)
    summary = summarise(records)
    pair = pair_target(records, "128" if 128 in args.budgets else str(args.budgets[-1]))
    # Throughput does not depend on the solvers: without --throughput the last measurement stays.
    throughput = getattr(args, "earlier_throughput", None)
    if args.throughput:
        throughput = throughput_table(measure_ours(lens, long_items, args.throughput_masks, args.seed), raw)
    result = {
        "benchmark": "context", "quick": args.quick, "budgets": args.budgets, "test_masks": args.test_masks,
        "keep": 0.5, "seed": args.seed, "threads": args.threads, "model": "SmolLM2-135M-Instruct (CPU, float32)",
        "value": "logit_prob", "baseline_items": extra_ids, "captum_items": captum_ids, "spex_items": args.spex_ids,
        "single_max_budget": args.single_max_budget, "baseline_max_budget": args.baseline_max_budget,
        "captum_budgets": args.captum_budgets, "oracle_max_n": args.oracle_max_n,
        "contextcite_batch_size": args.contextcite_batch_size, "machine": platform.platform(),
        "cpu_count": os.cpu_count(), "load_average": os.getloadavg(), "peers": peer_settings,
        "summary": summary, "pair_target": pair, "throughput": throughput,
        "targets": targets(summary, pair, throughput), "items": records,
    }
    if getattr(args, "earlier_blocks", None):  # a record --mask-blocks keeps; the rest it recomputes
        result["mask_blocks"] = args.earlier_blocks
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=1, default=float))
    for s in ("all", "single", "pair", "redundant"):
        print_table(summary, s)
    print(json.dumps({"pair_target": pair, "targets": result["targets"],
                      "throughput": throughput and throughput.get("queries_per_s")}, indent=1))
    print(f"wrote {out_path}")
    return 0


def _split_captum(peer: dict | None) -> dict | None:
    """``{"contextcite": [...], "captum": [...]}`` -> one list of records per peer method name."""
    if not peer:
        return None
    out = {"contextcite": peer.get("contextcite", [])}
    for r in peer.get("captum", []):
        out.setdefault("captum:" + r["method"], []).append(r)
    return out


if __name__ == "__main__":
    sys.exit(main())
