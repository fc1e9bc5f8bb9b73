#!/usr/bin/env python3
"""PyTorch reference for `pleura bench models`: the same measurements with torchvision's networks.

Development aid only (Debian's python3-torch / python3-torchvision); Pleura never needs Python to run.
Prints one JSON object per architecture on stdout.
"""
import json
import sys
import time

import torch
import torchvision


def timed(step, seconds):
    step()
    start, calls = time.perf_counter(), 0
    while calls < 3 or time.perf_counter() - start < seconds:
        step()
        calls += 1
    return calls / (time.perf_counter() - start)


def measure(arch, batch, size, seconds):
    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)(num_classes=4)
    x = torch.rand(batch, 3, size, size)
    y = torch.randint(0, 4, (batch,))
    model.eval()

    def infer():
        with torch.no_grad():
            model(x)

    inference = timed(infer, seconds / 3) * batch
    model.train()
    opt = torch.optim.Adam(model.parameters(), 1e-4)

    def train():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    training = timed(train, seconds / 3) * batch
    return {"architecture": arch, "inference": inference, "training": training, "torch": torch.__version__}


if __name__ == "__main__":
    threads, batch, size, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    torch.set_num_threads(threads)
    for arch in sys.argv[5:]:
        print(json.dumps(measure(arch, batch, size, seconds)), flush=True)
