"""The peer of the main job: examples/fashion_mlp.lua in PyTorch, on exactly
its configuration. Data: Fashion-MNIST from the same files, pixels / 255,
the last 5000 training images held out for validation (the job's data_split),
55000 left; model 784-256-10 (nn.Linear's default init), ReLU, mean softmax
cross-entropy; AdamW(lr 1e-3, weight_decay 0.01, PyTorch's betas and eps);
the rate per step t as the job's schedule gives it,
warmup{cosine{lr = 1e-3, t_max = 4 * 430}, steps = 430}: 1e-3 t / 430 for
t < 430, then 1e-3 (1 + cos(pi (t - 430) / 1720)) / 2 (doc/schedules.md);
batches of 128 in a new random order each epoch, the last one of 88; 5
epochs. An epoch is timed as the job times it: its training steps, not the
validation pass. Threads: OPENBLAS_NUM_THREADS (set before torch loads
OpenBLAS; torch.set_num_threads does not reach it) and torch's own pool both
set to THREADS.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_mlp.py [THREADS [DATA_DIR]]

Prints each epoch, then one line `torch-mlp best_epoch_s ... test_acc ...
peak_rss_mb ...` for bench/run.sh."""
import os
import sys

threads = sys.argv[1] if len(sys.argv) > 1 else "1"
os.environ.setdefault("OPENBLAS_NUM_THREADS", threads)
os.environ.setdefault("OMP_NUM_THREADS", threads)

import gzip  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(int(threads))
data_dir = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    with gzip.open(os.path.join(data_dir, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


x_all = torch.from_numpy(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255.0)
y_all = torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
x_test = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255.0)
y_test = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
validation = 5000
x_train, y_train = x_all[:-validation], y_all[:-validation]
x_val, y_val = x_all[-validation:], y_all[-validation:]

torch.manual_seed(1)
model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
batch, epochs = 128, 5
steps_per_epoch = math.ceil(len(x_train) / batch)
t_max = (epochs - 1) * steps_per_epoch


def rate(t):
    if t < steps_per_epoch:
        return 1e-3 * t / steps_per_epoch
    return 1e-3 * (1 + math.cos(math.pi * (t - steps_per_epoch) / t_max)) / 2


sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: rate(t) / 1e-3)
loss_fn = torch.nn.CrossEntropyLoss()


def accuracy(x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


best = math.inf
for epoch in range(epochs):
    order = torch.randperm(len(x_train))
    start = time.perf_counter()
    for lo in range(0, len(x_train), batch):
        rows = order[lo:lo + batch]
        loss = loss_fn(model(x_train[rows]), y_train[rows])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    secs = time.perf_counter() - start
    best = min(best, secs)
    print(f"epoch {epoch + 1}/{epochs}  val_acc={accuracy(x_val, y_val):.4f}  ({secs:.2f} s)", flush=True)
test_acc = accuracy(x_test, y_test)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"torch-mlp best_epoch_s {best:.3f} test_acc {test_acc:.4f} peak_rss_mb {rss:.0f} threads {threads}")
