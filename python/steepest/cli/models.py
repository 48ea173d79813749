"""The models the CLI trains: a linear SVM (squared hinge) or small MLP over sparse TF-IDF
text features (spam), an MLP over 8x8 pixels (digits), and a small causal transformer over characters
(charlm: token + position embeddings, pre-LayerNorm blocks of causal self-attention and a
GELU MLP, a final LayerNorm and a linear head)."""
from __future__ import annotations

import math

from .. import _core, nn
from ..autograd import no_grad
from ..nn import functional as F


def text_classifier(n_features: int, hidden: int = 0, dropout: float = 0.0) -> nn.Module:
    """One spam score per sparse row (> 0: spam). hidden=0: a linear model (one SparseLinear);
    else SparseLinear-ReLU-Dropout-Linear."""
    if hidden <= 0:
        return nn.SparseLinear(n_features, 1)
    return nn.Sequential(nn.SparseLinear(n_features, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1))


def squared_hinge(scores: _core.Tensor, labels: _core.Tensor) -> _core.Tensor:
    """Mean of max(0, 1 - t * score)^2 with t = +1 for label 1, -1 for label 0: the L2-SVM loss.
    Unlike cross-entropy it stops pushing a message once it is a margin past the boundary, and
    unlike the plain hinge its gradient is continuous, which full-batch descent likes."""
    t = labels.to(scores.dtype) * 2 - 1
    return (1 - t * scores.reshape(-1)).clamp(min=0).pow(2).mean()


def digits_mlp(n_in: int = 64, hidden: int = 128, n_classes: int = 10, depth: int = 2) -> nn.Sequential:
    layers, width = [], n_in
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: _core.Tensor) -> _core.Tensor:
        B, T, C = x.shape
        H = self.n_heads
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) -> (B, H, T, C/H): each head attends over the sequence on its own slice.
        q, k, v = (t.reshape(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    """Pre-LN: x + attn(ln(x)), then x + mlp(ln(x)); the residual path stays an identity,
    which keeps gradients flowing through depth."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.ln2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.out = nn.Linear(4 * d_model, d_model)

    def forward(self, x: _core.Tensor) -> _core.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class CharTransformer(nn.Module):
    """Next-character prediction: ids (B, T) -> logits (B, T, vocab_size), T <= block_size."""

    def __init__(self, vocab_size: int, block_size: int = 64, d_model: int = 64, n_heads: int = 4,
                 n_layers: int = 2) -> None:
        super().__init__()
        self.block_size = block_size
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(block_size, d_model)
        self.blocks = nn.ModuleList([Block(d_model, n_heads) for _ in range(n_layers)])
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)
        # GPT-2's scaling: each residual branch's output layer starts smaller by sqrt(2 * layers),
        # so the residual stream's variance does not grow with depth at initialisation.
        with no_grad():
            for b in self.blocks:
                for lin in (b.attn.proj, b.out):
                    lin.weight.mul_(1.0 / math.sqrt(2 * n_layers))

    def forward(self, idx: _core.Tensor) -> _core.Tensor:
        T = idx.shape[1]
        if T > self.block_size:
            raise ValueError(f"CharTransformer: sequence length {T} exceeds block_size {self.block_size}")
        x = self.tok(idx) + self.pos(_core.arange(T, dtype=_core.int64))
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln(x))


def lm_loss(logits: _core.Tensor, targets: _core.Tensor) -> _core.Tensor:
    """Cross-entropy of (B, T, V) logits against (B, T) next-character ids."""
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
