"""The peer for `make bench`: PyTorch's CPU optimizers and scheduler.step(),
measured on this machine in the same run as lrengine's figures. Optional:
bench/run.sh calls it only when a Python with torch is present (Debian's
python3-torch); nothing in the build or the tests needs it."""
import sys
import time
import warnings

import torch

warnings.filterwarnings("ignore")  # SequentialLR steps its parts at construction and says so

torch.set_num_threads(1)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
REPS = 10


JUNK = torch.ones(16 << 20, dtype=torch.int32)  # 64 MB, read before each timing as bench_core does


def best(fn, reps=REPS):
    fn()
    t = float("inf")
    for _ in range(reps):
        JUNK.sum()
        start = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - start)
    return t


print(f"PyTorch {torch.__version__}, {N} float32 parameters, 1 thread, best of {REPS}")
cases = [
    ("sgd-plain", lambda p: torch.optim.SGD([p], lr=0.01)),
    ("sgd", lambda p: torch.optim.SGD([p], lr=0.01, momentum=0.9)),
    ("adam", lambda p: torch.optim.Adam([p], lr=1e-3)),
    ("adamw", lambda p: torch.optim.AdamW([p], lr=1e-3)),
    ("adagrad", lambda p: torch.optim.Adagrad([p], lr=0.01)),
    ("rmsprop", lambda p: torch.optim.RMSprop([p], lr=0.01)),
]
for name, make in cases if sys.argv[2:3] != ["sched"] else []:  # torch_peer.py N sched: the scheduler alone
    p = torch.nn.Parameter(torch.rand(N))
    p.grad = torch.rand(N)
    opt = make(p)
    print(f"{name:9s} {N / best(opt.step) / 1e6:8.0f} Mparam/s")

p = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=0.1)
opt.step()
warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1e-3, total_iters=1000)
cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=99000)
sched = torch.optim.lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[1000])
steps = 100_000
start = time.perf_counter()
for _ in range(steps):
    sched.step()
elapsed = time.perf_counter() - start
print(f"scheduler.step() of warmup+cosine (SequentialLR): {elapsed / steps * 1e9:.0f} ns per step")
