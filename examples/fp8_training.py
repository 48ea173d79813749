"""FP8 training on the CPU: the tiny character transformer of char_transformer.py trained twice
from the same initialisation and data, once in float32 and once with every block's linear
layer converted to FP8 (st.nn.convert_to_float8_training: e4m3 inputs and weights, e5m2
output gradients, per-tensor delayed scaling). Prints both validation losses and their
relative difference. The output head stays in float32, as FP8 recipes usually keep it.

    python examples/fp8_training.py [--steps 300] [--quick]
"""
import argparse
import copy

import numpy as np
from char_transformer import TinyGPT, lm_loss

import steepest as st
import steepest.nn as nn


def train(model, corpus, steps, seed=0):
    rng = np.random.default_rng(seed)
    opt = st.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    sched = st.optim.lr_scheduler.warmup_cosine(opt, warmup_steps=steps // 10, total_steps=steps, min_lr=3e-5)
    for _ in range(steps):
        x, y = corpus.batch("train", 32, 64, rng)
        loss = lm_loss(model(st.from_numpy(x)), st.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
    vrng = np.random.default_rng(1)
    with st.no_grad():
        losses = [float(lm_loss(model(st.from_numpy(x)), st.from_numpy(y)))
                  for x, y in (corpus.batch("val", 32, 64, vrng) for _ in range(8))]
    return float(np.mean(losses))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--quick", action="store_true", help="30 steps (for CI)")
    args = ap.parse_args(argv)
    steps = min(args.steps, 30) if args.quick else args.steps
    st.manual_seed(0)
    st.set_num_threads(1)
    corpus = st.datasets.CharCorpus(st.datasets.load_text(max_chars=200_000 if args.quick else None))
    base = TinyGPT(corpus.vocab_size)
    fp8 = copy.deepcopy(base)
    nn.convert_to_float8_training(fp8, module_filter_fn=lambda m, fqn: fqn != "head")
    n8 = sum(isinstance(m, nn.Float8Linear) for m in fp8.modules())
    loss32 = train(base, corpus, steps)
    loss8 = train(fp8, corpus, steps)
    print(f"{steps} steps; {n8} linear layers in FP8")
    print(f"float32 validation loss {loss32:.4f} nats per character")
    print(f"FP8     validation loss {loss8:.4f} nats per character")
    print(f"relative difference {abs(loss8 - loss32) / loss32 * 100:.2f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
