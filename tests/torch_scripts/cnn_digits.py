"""A small CNN on the 8x8 digits as an image-classification tutorial writes it: Conv2d,
BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear; SGD with momentum and a cosine schedule over
mini-batches from a DataLoader; accuracy with model.eval(); then stochastic weight averaging
(AveragedModel) with the batch-norm statistics recomputed by swa_utils.update_bn."""
import torch
import torch.nn as nn
from _harness import digits, report, sync_weights
from torch.optim.swa_utils import AveragedModel, update_bn
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 2 * 2, 32), nn.ReLU(), nn.Linear(32, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


torch.manual_seed(0)
X, y = digits(768)
images = torch.from_numpy(X).view(-1, 1, 8, 8)
labels = torch.from_numpy(y)
train_loader = DataLoader(TensorDataset(images[:512], labels[:512]), batch_size=64, shuffle=False)
test_images, test_labels = images[512:], labels[512:]

model = Net()
sync_weights(model)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=24)
swa_model = AveragedModel(model)

losses, accuracies = [], []
for epoch in range(3):
    model.train()
    for inputs, targets in train_loader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    swa_model.update_parameters(model)
    model.eval()
    correct = 0
    with torch.no_grad():
        outputs = model(test_images)
        _, predicted = torch.max(outputs, 1)
        correct += (predicted == test_labels).sum().item()
    accuracies.append(correct / len(test_labels))
    print(f"epoch {epoch}: loss {loss.item():.4f} accuracy {100 * correct / len(test_labels):.1f}%")

update_bn(train_loader, swa_model)
swa_model.eval()
with torch.no_grad():
    swa_loss = criterion(swa_model(test_images), test_labels).item()
bn = swa_model.module.features[1]
report("loss", losses)
report("accuracy", accuracies)
report("swa_loss", swa_loss)
report("bn_running_mean", bn.running_mean.tolist())
report("bn_running_var", bn.running_var.tolist())
report("bn_batches", int(bn.num_batches_tracked))
