# Native anchor for `npm run bench`: the same one-epoch LeNet-5 / MLP training
# in PyTorch CPU (Debian python3-torch), on the MNIST bytes the harness caches.
# Usage: python3 bench/torch_anchor.py <lenet|mlp> <images.u8> <labels.u8> <samples> <threads>
# Timed as bench/train-one.ts times TF.js: two epochs after a warm-up batch,
# the second the steady rate. Prints that epoch's mean loss, comparable with
# TF.js's history.loss, as a sanity check.
import json, sys, time, resource
import numpy as np
import torch
from torch import nn

model_name, images_path, labels_path, samples, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(0)
batch = 128
n = samples + batch
x = torch.from_numpy(np.fromfile(images_path, dtype=np.uint8, count=n * 784).astype(np.float32).reshape(n, 1, 28, 28) / 255)
y = torch.from_numpy(np.fromfile(labels_path, dtype=np.uint8, count=n).astype(np.int64))

if model_name == 'lenet':
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
else:
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()

def step(xb, yb):
    opt.zero_grad()
    loss = loss_fn(net(xb), yb)
    loss.backward()
    opt.step()
    return loss.item()

def epoch():
    return [step(x[i:i + batch], y[i:i + batch]) for i in range(batch, n, batch)]

step(x[:batch], y[:batch])  # warm-up, untimed
t0 = time.perf_counter()
epoch()
t1 = time.perf_counter()
losses = epoch()
sec, first_sec = time.perf_counter() - t1, t1 - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({'model': model_name, 'backend': f'torch-{torch.__version__}', 'threads': threads, 'samples': samples, 'sec': sec,
                  'samplesPerSec': samples / sec, 'firstSamplesPerSec': samples / first_sec, 'peakMiB': round(peak), 'loss': sum(losses) / len(losses)}))
