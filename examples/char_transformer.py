"""A tiny GPT on the King James Bible, one character at a time: the Python-API version of
`steepest train charlm`.

Token and position embeddings feed two pre-LayerNorm transformer blocks (causal multi-head
self-attention, then a GELU MLP, each added back onto the residual stream), a final LayerNorm
and a linear head over the characters. AdamW with warmup-cosine and gradient clipping trains
it on random 64-character windows; every few hundred steps it writes a sample.

    python examples/char_transformer.py [--steps 1000] [--quick] [--out charlm_loss.png]
"""
import argparse
import math

import numpy as np

import steepest as st
import steepest.nn as nn
import steepest.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.reshape(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # position i sees j <= i
        x = x + self.proj(att.transpose(1, 2).reshape(B, T, C))
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class TinyGPT(nn.Module):
    def __init__(self, vocab, block_size=64, d=64, heads=4, layers=2):
        super().__init__()
        self.block_size = block_size
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(block_size, d)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(st.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln(x))


def lm_loss(logits, targets):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


class Windows:
    """n random (input, next-character) windows per pass over the data."""

    def __init__(self, corpus, split, n, rng, batch=32, block=64):
        self.corpus, self.split, self.n, self.rng, self.batch, self.block = corpus, split, n, rng, batch, block

    def __len__(self):
        return self.n

    def __iter__(self):
        for _ in range(self.n):
            x, y = self.corpus.batch(self.split, self.batch, self.block, self.rng)
            yield st.from_numpy(x), st.from_numpy(y)


def sample(model, corpus, prompt, n, rng, temperature=0.8):
    ids = list(corpus.encode(prompt))
    model.eval()
    with st.no_grad():
        for _ in range(n):
            ctx = st.from_numpy(np.asarray([ids[-model.block_size:]], dtype=np.int64))
            logits = model(ctx)[0, -1].numpy().astype(np.float64) / temperature
            p = np.exp(logits - logits.max())
            ids.append(int(rng.choice(len(p), p=p / p.sum())))
    model.train()
    return corpus.decode(ids)


class PrintSample:
    def __init__(self, corpus, rng):
        self.corpus, self.rng = corpus, rng

    def on_epoch_end(self, state):
        rec = state.epoch_record
        print(f"step {state.step}: train loss {rec['train_loss']:.3f}, validation loss {rec['val_loss']:.3f}")
        print("  " + sample(state.model, self.corpus, "And God said", 120, self.rng).replace("\n", "\n  "))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--sample-every", type=int, default=250)
    ap.add_argument("--quick", action="store_true", help="40 steps (for CI)")
    ap.add_argument("--out", default="charlm_loss.png", help="loss-curve PNG")
    args = ap.parse_args(argv)
    steps, every = (min(args.steps, 40), 20) if args.quick else (args.steps, args.sample_every)
    st.manual_seed(0)
    st.set_num_threads(1)  # small matrices: one thread avoids synchronisation costs
    rng = np.random.default_rng(0)

    corpus = st.datasets.CharCorpus(st.datasets.load_text(max_chars=200_000 if args.quick else None))
    model = TinyGPT(corpus.vocab_size)
    print(f"{sum(p.numel() for p in model.parameters()):,} parameters, {corpus.vocab_size} characters, "
          f"{len(corpus.train):,} training characters")
    opt = st.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    sched = st.optim.lr_scheduler.warmup_cosine(opt, warmup_steps=steps // 10, total_steps=steps, min_lr=3e-5)
    val = list(Windows(corpus, "val", 4, np.random.default_rng(1)))
    history = st.train.fit(model, opt, Windows(corpus, "train", every, rng), loss_fn=lm_loss,
                           epochs=math.ceil(steps / every), max_steps=steps, val_data=val, scheduler=sched,
                           clip_grad_norm=1.0, callbacks=[PrintSample(corpus, rng)], progress=False)
    print(f"final validation loss {history.epochs[-1]['val_loss']:.3f} nats per character "
          f"(uniform guessing: {math.log(corpus.vocab_size):.3f})")
    history.plot(args.out)  # matplotlib when installed, else the built-in PNG writer
    print(f"plot: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
