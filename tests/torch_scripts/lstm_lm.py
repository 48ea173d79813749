"""A character-level LSTM language model in the style of the PyTorch word_language_model
example: batchify into columns, bptt windows, an RNNModel (encoder, 2-layer LSTM, decoder)
with init_hidden from weight.new_zeros, hidden states detached between batches
(repackage_hidden), clip_grad_norm_, the hand-written SGD update on p.data, and evaluation
under torch.no_grad()."""
import math

import numpy as np
import torch
import torch.nn as nn
from _harness import report, sync_weights, text


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.0, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


bptt = 16


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].reshape(-1)
    return data, target


corpus = text(12000)
chars = sorted(set(corpus))
ids = torch.from_numpy(np.array([chars.index(c) for c in corpus], dtype=np.int64))
train_data = batchify(ids[:10000], 8)
val_data = batchify(ids[10000:], 4)

torch.manual_seed(1111)
ntokens = len(chars)
model = RNNModel(ntokens, 32, 64, 2)
sync_weights(model)
criterion = nn.NLLLoss()
lr, clip = 2.0, 0.25


def evaluate(data_source):
    model.eval()
    total_loss = 0.0
    hidden = model.init_hidden(4)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


losses, val_losses = [], []
model.train()
hidden = model.init_hidden(8)
for batch, i in enumerate(range(0, 24 * bptt, bptt)):
    data, targets = get_batch(train_data, i)
    model.zero_grad()
    hidden = repackage_hidden(hidden)
    output, hidden = model(data, hidden)
    loss = criterion(output, targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    for p in model.parameters():
        p.data.add_(p.grad, alpha=-lr)
    losses.append(loss.item())
    if batch % 8 == 7:
        val_loss = evaluate(val_data)
        val_losses.append(val_loss)
        print(f"| batch {batch:3d} | loss {loss.item():5.2f} | valid ppl {math.exp(val_loss):8.2f}")
        model.train()

report("loss", losses)
report("val_loss", val_losses)
