"""Regression in the style of tutorial code: a polynomial-feature linear model and a small MLP
on noisy 1-D data, SGD with Nesterov momentum under MultiStepLR then ReduceLROnPlateau, an EMA
of the weights through torch.optim.swa_utils.AveragedModel, and stochastic weight averaging
with SWALR over the last epochs; evaluation with model.eval() and torch.no_grad()."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from _harness import report, sync_weights
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn

rng = np.random.default_rng(42)
x = np.sort(rng.uniform(-2, 2, size=(160, 1))).astype(np.float32)
y = (np.sin(2 * x) + 0.3 * x ** 2 + 0.1 * rng.standard_normal(x.shape)).astype(np.float32)
x_train, y_train = torch.from_numpy(x[::2].copy()), torch.from_numpy(y[::2].copy())
x_val, y_val = torch.from_numpy(x[1::2].copy()), torch.from_numpy(y[1::2].copy())


def make_features(x, degree=4):
    """[x, x^2, ..., x^degree] as columns."""
    return torch.cat([x ** i for i in range(1, degree + 1)], 1)


# 1. Linear regression on polynomial features, plain SGD with a step schedule.
torch.manual_seed(0)
fc = torch.nn.Linear(4, 1)
sync_weights(fc)
opt = torch.optim.SGD(fc.parameters(), lr=0.02, momentum=0.9, nesterov=True)
sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[10, 18], gamma=0.3)
poly_losses = []
features = make_features(x_train)
for _ in range(24):
    fc.zero_grad()
    output = F.mse_loss(fc(features), y_train)
    loss = output.item()
    output.backward()
    opt.step()
    sched.step()
    poly_losses.append(loss)
report("poly", poly_losses)
report("poly_weights", fc.weight.view(-1).tolist())


# 2. An MLP with an EMA copy, then SWA.
class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, 32), nn.SiLU(), nn.Linear(32, 32), nn.SiLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.net(x)


model = Regressor()
sync_weights(model)
ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
swa_model = AveragedModel(model)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
swa_scheduler = SWALR(optimizer, swa_lr=0.01, anneal_epochs=3, anneal_strategy="cos")
swa_start = 18
train_losses, val_losses, lrs = [], [], []
for epoch in range(28):
    model.train()
    for i in range(0, len(x_train), 40):
        xb, yb = x_train[i:i + 40], y_train[i:i + 40]
        optimizer.zero_grad()
        loss = F.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        ema_model.update_parameters(model)
        train_losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        val_loss = F.mse_loss(model(x_val), y_val).item()
    val_losses.append(val_loss)
    if epoch >= swa_start:
        swa_model.update_parameters(model)
        swa_scheduler.step()
    else:
        plateau.step(val_loss)
    lrs.append(optimizer.param_groups[0]["lr"])

with torch.no_grad():
    ema_val = F.mse_loss(ema_model(x_val), y_val).item()
    swa_val = F.mse_loss(swa_model(x_val), y_val).item()
report("mlp_train", train_losses)
report("mlp_val", val_losses)
report("lr", lrs)
report("ema_val", ema_val)
report("swa_val", swa_val)
report("n_averaged", [int(ema_model.n_averaged), int(swa_model.n_averaged)])
