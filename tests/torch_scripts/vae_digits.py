"""A variational autoencoder on the 8x8 digits, after the PyTorch examples' VAE: an MLP
encoder to (mu, logvar), the reparameterization trick, a decoder to pixel logits, the
reconstruction + KL loss summed over the batch, Adam, a DataLoader over a TensorDataset, and
an evaluation pass under torch.no_grad(). The reparameterization noise comes from numpy so
both runs see the same draws."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from _harness import digits, report, sync_weights
from torch.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    def __init__(self, n_in=64, hidden=48, latent=8):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, n_in)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return self.fc4(h3)  # logits; torch.sigmoid gives pixel intensities

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_logits, x, mu, logvar):
    BCE = F.binary_cross_entropy_with_logits(recon_logits, x.view(-1, 64), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


torch.manual_seed(1)
device = torch.device("cpu")
X, _ = digits(640)
train_ds = TensorDataset(torch.from_numpy(X[:512]))
test_x = torch.from_numpy(X[512:])
train_loader = DataLoader(train_ds, batch_size=64, shuffle=False, drop_last=True)
rng = np.random.default_rng(0)

model = VAE().to(device)
sync_weights(model)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)


def train(epoch, losses):
    model.train()
    train_loss = 0
    for (data,) in train_loader:
        data = data.to(device)
        eps = torch.from_numpy(rng.standard_normal((data.shape[0], 8)).astype(np.float32))
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data, eps)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        losses.append(loss.item() / len(data))
    print(f"====> Epoch: {epoch} Average loss: {train_loss / len(train_loader.dataset):.4f}")


def test():
    model.eval()
    with torch.no_grad():
        eps = torch.zeros(test_x.shape[0], 8)  # the posterior mean
        recon, mu, logvar = model(test_x, eps)
        return loss_function(recon, test_x, mu, logvar).item() / len(test_x)


losses, test_losses = [], []
for epoch in range(1, 4):
    train(epoch, losses)
    test_losses.append(test())

with torch.no_grad():
    z = torch.from_numpy(rng.standard_normal((4, 8)).astype(np.float32))
    sample = torch.sigmoid(model.decode(z)).view(4, 1, 8, 8)

report("loss", losses)
report("test_loss", test_losses)
report("sample_mean", float(sample.mean()))
