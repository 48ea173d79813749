"""Training interrupted by a checkpoint: a digits classifier with AdamW, OneCycleLR and a
GradScaler trains 12 steps, saves {model, optimizer, scheduler, scaler, step} with torch.save
to a file, and a fresh process-like setup (new model, optimizer, scheduler) loads it with
torch.load(weights_only=True) and trains 12 more. The same 24 steps run without the
interruption; the losses must be identical."""
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from _harness import digits, report, sync_weights

STEPS, BATCH = 24, 64
X, y = digits(512)
X, y = torch.from_numpy(X), torch.from_numpy(y)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.ln = nn.LayerNorm(64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc2(F.gelu(self.ln(self.fc1(x))))


torch.manual_seed(0)
init = Net()
sync_weights(init)
init_state = {k: v.clone() for k, v in init.state_dict().items()}


def build():
    model = Net()
    model.load_state_dict(init_state)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05, amsgrad=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=STEPS)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    return model, optimizer, scheduler, scaler


def run(model, optimizer, scheduler, scaler, start, stop, losses):
    for step in range(start, stop):
        i = (step * BATCH) % len(X)
        xb, yb = X[i:i + BATCH], y[i:i + BATCH]
        loss = F.cross_entropy(model(xb), yb, label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        losses.append(loss.item())


continuous = []
run(*build(), 0, STEPS, continuous)

resumed = []
model, optimizer, scheduler, scaler = build()
run(model, optimizer, scheduler, scaler, 0, STEPS // 2, resumed)
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "ckpt.pt")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(), "step": STEPS // 2}, path)
    del model, optimizer, scheduler, scaler
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
model, optimizer, scheduler, scaler = build()
model.load_state_dict(checkpoint["model"])
optimizer.load_state_dict(checkpoint["optimizer"])
scheduler.load_state_dict(checkpoint["scheduler"])
scaler.load_state_dict(checkpoint["scaler"])
run(model, optimizer, scheduler, scaler, checkpoint["step"], STEPS, resumed)

report("continuous", continuous)
report("resumed", resumed)
report("identical", continuous == resumed)
report("last_lr", scheduler.get_last_lr())
