"""`steepest train charlm`: a small causal transformer learns the King James Bible character
by character (AdamW + warmup-cosine + gradient clipping by default), printing generated text
every --sample-every steps so you can watch it go from noise to words to verses."""
import math

import numpy as np

from .. import _core, datasets, save
from ..autograd import no_grad
from . import common, optimizers, report
from .models import CharTransformer, lm_loss

RATES = {"adam": 3e-3, "sgd": 0.3, "sign": 1e-3, "adagrad": 0.03}


class RandomWindows:
    """n_batches random (x, y) windows a pass; the numpy generator carries over between passes,
    so every pass draws new windows and the whole run is fixed by the seed."""

    def __init__(self, corpus, split, batch_size, block_size, n_batches, seed):
        self.corpus, self.split = corpus, split
        self.batch_size, self.block_size, self.n_batches = batch_size, block_size, n_batches
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return self.n_batches

    def __iter__(self):
        for _ in range(self.n_batches):
            x, y = self.corpus.batch(self.split, self.batch_size, self.block_size, self.rng)
            yield _core.from_numpy(x), _core.from_numpy(y)


def generate(model, corpus, prompt, n_chars, temperature=0.8, rng=None):
    """prompt + n_chars sampled characters (context cropped to the model's block_size)."""
    rng = rng or np.random.default_rng(0)
    ids = list(corpus.encode(prompt))
    was_training = model.training
    model.eval()
    with no_grad():
        for _ in range(n_chars):
            ctx = np.asarray(ids[-model.block_size:], dtype=np.int64)[None, :]
            logits = model(_core.from_numpy(ctx))[0, -1].numpy().astype(np.float64) / temperature
            p = np.exp(logits - logits.max())
            ids.append(int(rng.choice(len(p), p=p / p.sum())))
    if was_training:
        model.train()
    return corpus.decode(ids)


class Sampler:
    """After each 'epoch' (= --sample-every steps) prints a generated sample."""

    def __init__(self, corpus, prompt, n_chars, seed):
        self.corpus, self.prompt, self.n_chars = corpus, prompt, n_chars
        self.rng = np.random.default_rng(seed + 1)

    def on_epoch_end(self, state):
        text = generate(state.model, self.corpus, self.prompt, self.n_chars, rng=self.rng)
        print(f"--- sample at step {state.step}:\n{text}\n---", flush=True)


def build(args):
    text = datasets.load_text(args.data, max_chars=args.max_chars)
    corpus = datasets.CharCorpus(text, val_fraction=0.1)
    model = CharTransformer(corpus.vocab_size, block_size=args.block_size, d_model=args.d_model,
                            n_heads=args.heads, n_layers=args.layers)
    return corpus, model


def run(args):
    t0 = common.setup(args)
    out = common.out_dir(args.out)
    if args.quick:
        args.steps = min(args.steps, 60)
        args.sample_every = min(args.sample_every, 30)
        args.sample_chars = min(args.sample_chars, 80)
        args.max_chars = args.max_chars or 200_000
    lr = args.lr if args.lr is not None else optimizers.default_lr(args.optimizer, RATES)
    corpus, model = build(args)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"steepest train charlm: causal transformer ({args.layers} pre-LN blocks, d_model {args.d_model}, "
          f"{args.heads} heads, context {args.block_size}; {n_params:,} parameters), vocabulary "
          f"{corpus.vocab_size} characters, {len(corpus.train):,} training characters")
    print(f"{args.optimizer} lr {lr:g}, warmup-cosine, clip {args.clip}, {args.steps} steps of "
          f"{args.batch_size} x {args.block_size} characters")
    opt = optimizers.make_optimizer(args.optimizer, model.parameters(), lr)
    epochs = math.ceil(args.steps / args.sample_every)
    # Data-parallel (--nproc): each rank draws its own windows (fit cannot shard this iterable).
    from ..distributed._mpi import launched_size
    from .launch import rank_from_env
    shard = rank_from_env() if launched_size() > 1 else 0
    train_data = RandomWindows(corpus, "train", args.batch_size, args.block_size, args.sample_every,
                               args.seed + 1_000_003 * shard)
    val_data = list(RandomWindows(corpus, "val", args.batch_size, args.block_size, 4, args.seed + 7))
    sampler = Sampler(corpus, args.prompt, args.sample_chars, args.seed)
    history = common.run_fit(args, model, opt, train_data, val_data, epochs, lm_loss, callbacks=[sampler],
                             max_steps=args.steps)
    if common.rank() != 0:  # data-parallel: rank 0 reports and writes the results
        return 0
    last = history.epochs[-1]
    print(f"validation loss {last['val_loss']:.4f} nats/char (uniform guessing: {math.log(corpus.vocab_size):.4f})")
    ckpt = common.out_file(out, "charlm.safetensors")
    save({"task": "charlm", "model": model.state_dict(), "chars": "".join(corpus.chars),
          "config": {"block_size": args.block_size, "d_model": args.d_model, "n_heads": args.heads,
                     "n_layers": args.layers}}, ckpt)
    print(f"checkpoint: {ckpt}")
    print(report.save_plot(history.plot, common.out_file(out, "loss_curve.png"), "loss curve"))
    print(f"done in {common.elapsed(t0):.1f} s")
    return 0


