"""Train the shipped induction model: ``python -m lenses.heads.train_induction``.

The model is a TransformerLens-native ``TransformerBridge`` (``boot_native``), trained through
the bridge itself: its forward, its ``hooks`` context and its parameters. About 45 seconds on
a 2-core CPU (one thread). The loss is the next-token cross-entropy on the second copy
of each repeated sequence (the only tokens a model can predict), so the whole budget goes
into the induction circuit. Writes ``induction_model.safetensors`` next to this file and
prints the final induction loss, the previous-token score of every layer-0 head and the
induction score of every layer-1 head. The file holds the bridge's state dict
(``bridge.state_dict()`` keys), which ``induction_model()`` loads with ``load_state_dict``.
"""

from __future__ import annotations

import argparse
import time

#: the heads that carry induction in the shipped model ({layer: head})
CIRCUIT = {0: 1, 1: 2}

#: the seed of the shipped weights. How cleanly the two heads form an AND (how little each
#: does without the other) varies from seed to seed; 15 is the first seed (trying 0, 1, ...)
#: on which the pair's Möbius term is over 7 times any single head's, under mean and zero
#: ablation, as it was for the earlier HookedTransformer model (tests/test_induction.py checks 5).
SEED = 15


def head_scores(model, tokens, repeated):
    """(previous-token score per layer-0 head, induction score per layer-1 head).

    Previous-token score: mean attention from each position to the one before it.
    Induction score: mean attention, from each predictable position of the second copy, to
    the token after this token's earlier occurrence.
    """
    import torch

    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_pattern"))
    p0 = cache["pattern", 0]  # (batch, head, query, key)
    seq = tokens.shape[1]
    q = torch.arange(1, seq)
    prev = p0[:, :, q, q - 1].mean(dim=(0, 2))
    p1 = cache["pattern", 1]
    scores = []
    for b in range(tokens.shape[0]):
        pos = torch.nonzero(repeated[b]).flatten() - 1  # query: the token before the target
        t = int(repeated[b].sum()) + 1
        scores.append(p1[b][:, pos, pos - t + 1].mean(-1))
    return prev, torch.stack(scores).mean(0)


def train(steps: int = 1000, finetune_steps: int = 400, batch: int = 32, lr: float = 3e-3, seed: int = SEED,
          circuit=CIRCUIT, log_every: int = 200):
    """Train in two phases and return the model (eval mode).

    1. Only the heads in ``circuit`` ({layer: head}) run; the others are silenced through the
       same ``hook_z`` hooks the lens ablates with. Trained this way the induction job sits in
       exactly one layer-0 head and one layer-1 head, so the ground truth is known. (Trained
       with every head from the start, all heads learn parts of the job and back each other
       up: the pair then smears into many higher-order terms.)
    2. All heads run and fine-tune together at a lower learning rate, so the model is whole
       with every head on; the other heads stay off the circuit.
    """
    import numpy as np
    import torch

    from .induction import CONFIG, induction_tokens, make_induction_model

    torch.manual_seed(seed)
    model = make_induction_model(seed=seed)
    rng = np.random.default_rng(seed)

    def silence_others(z, hook):
        layer = int(hook.name.split(".")[1])
        keep = torch.zeros(z.shape[2], dtype=z.dtype)
        keep[circuit[layer]] = 1.0
        return z * keep[:, None]

    phases = [(steps, lr, [(f"blocks.{l}.attn.hook_z", silence_others) for l in circuit]),
              (finetune_steps, lr / 3, [])]
    t0 = time.perf_counter()
    for phase, (n_steps, max_lr, hooks) in enumerate(phases, start=1):
        if n_steps == 0:
            continue
        opt = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=1e-2)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=n_steps, pct_start=0.1)
        for step in range(1, n_steps + 1):
            tok, rep = induction_tokens(batch, CONFIG["n_ctx"], seed=rng)
            tok, rep = torch.from_numpy(tok), torch.from_numpy(rep)
            with model.hooks(fwd_hooks=hooks):
                logits = model(tok)
            logp = logits[:, :-1].log_softmax(-1).gather(-1, tok[:, 1:, None])[..., 0]
            loss = -(logp * rep[:, 1:]).sum() / rep.sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if step % log_every == 0 or step == n_steps:
                print(f"phase {phase} step {step:5d}  induction loss {loss.item():.4f}  "
                      f"({time.perf_counter() - t0:.0f} s)")
    model.eval()
    return model


def main(argv=None) -> None:
    import torch
    from safetensors.torch import save_file

    from .induction import CONFIG, WEIGHTS, induction_tokens

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--finetune-steps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", default=str(WEIGHTS))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # a tiny model: more threads only add overhead
    model = train(steps=args.steps, finetune_steps=args.finetune_steps, seed=args.seed)
    tok, rep = induction_tokens(256, CONFIG["n_ctx"], seed=12345)
    with torch.inference_mode():
        prev, ind = head_scores(model, torch.from_numpy(tok), torch.from_numpy(rep))
    print("previous-token score, layer 0:", [round(float(x), 3) for x in prev])
    print("induction score, layer 1:     ", [round(float(x), 3) for x in ind])
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
