#!/usr/bin/env python3
"""PyTorch reference for `pleura bench models`: the same measurements with torchvision's networks.

Development aid only (Debian's python3-torch / python3-torchvision); Pleura never needs Python to run.
Reads one JSON object on stdin: threads, batch, size, seconds (per figure) and networks, each with its architecture
and the names of the parameters stage 1 and stage 2 train (Pleura's, which are torchvision's). Prints one JSON object
per network on stdout, with every figure in NCHW and in channels-last: PyTorch 1.13's CPU convolutions are much
faster channels-last, and the comparison takes each side in its faster layout.
"""
import json
import sys
import time

import torch
import torchvision


def timed(step, seconds):
    """Calls per second: one warm-up call, then as many as fit in the time (at least three), as Pleura times."""
    step()
    start, calls = time.perf_counter(), 0
    while calls < 3 or time.perf_counter() - start < seconds:
        step()
        calls += 1
    return calls / (time.perf_counter() - start)


def stages(arch, model):
    """(name prefixes, module, stochastic) in forward order, cut where Pleura's IStagedNetwork cuts."""
    flat = torch.nn.Flatten(1)
    if arch.startswith("resnet"):
        out = [(["conv1.", "bn1."], torch.nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool), False)]
        for name in ["layer1", "layer2", "layer3", "layer4"]:
            out += [([f"{name}.{i}."], block, False) for i, block in enumerate(getattr(model, name))]
        return out + [([], torch.nn.Sequential(model.avgpool, flat), False), (["fc."], model.fc, False)]
    if arch.startswith("densenet"):
        out = [([f"features.{n}."], m, False) for n, m in model.features.named_children()]
        pool = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), flat)
        return out + [([], pool, False), (["classifier."], model.classifier, False)]
    if arch.startswith("vgg"):
        out = [([f"features.{n}."], m, False) for n, m in model.features.named_children()]
        out.append(([], torch.nn.Sequential(model.avgpool, flat), False))
        return out + [([f"classifier.{n}."], m, isinstance(m, torch.nn.Dropout)) for n, m in model.classifier.named_children()]
    raise ValueError(f"no stages for {arch}")


def owns(prefixes, name):
    return any(name.startswith(p) for p in prefixes)


def set_modes(model, trainable):
    """Training mode, frozen batch-norms in eval mode, as Pleura's trainer sets them (StageSteps.SetModes)."""
    model.train()
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.BatchNorm2d) and name + ".weight" not in trainable:
            m.eval()


def train_rate(model, trainable, forward, x, y, batch, seconds):
    """Adam on the trainable parameters."""
    set_modes(model, trainable)
    params = []
    for name, p in model.named_parameters():
        p.requires_grad_(name in trainable)
        if name in trainable:
            params.append(p)
    opt = torch.optim.Adam(params, 1e-4)

    def step():
        loss = torch.nn.functional.cross_entropy(forward(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return timed(step, seconds) * batch


def stage_rate(arch, model, trainable, x, y, batch, seconds, layout):
    chain = stages(arch, model)
    cut = next((i for i, (prefixes, _, stochastic) in enumerate(chain)
                if stochastic or any(owns(prefixes, n) for n in trainable)), len(chain))
    set_modes(model, trainable)
    with torch.no_grad():
        cached = x
        for _, module, _ in chain[:cut]:
            cached = module(cached)
    if cached.dim() == 4:
        cached = cached.contiguous(memory_format=layout)
    rest = torch.nn.Sequential(*[module for _, module, _ in chain[cut:]])
    return train_rate(model, trainable, rest, cached, y, batch, seconds)


def measure(arch, stage1, stage2, batch, size, seconds, layout):
    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)(num_classes=4).to(memory_format=layout)
    x = torch.rand(batch, 3, size, size).contiguous(memory_format=layout)
    y = torch.randint(0, 4, (batch,))
    everything = {n for n, _ in model.named_parameters()}
    training = train_rate(model, everything, model, x, y, batch, seconds)
    s2 = stage_rate(arch, model, set(stage2), x, y, batch, seconds, layout)
    s1 = stage_rate(arch, model, set(stage1), x, y, batch, seconds, layout)
    model.eval()

    def infer():
        with torch.no_grad():
            model(x)

    inference = timed(infer, seconds) * batch
    return {"inference": inference, "training": training, "stage1": s1, "stage2": s2}


if __name__ == "__main__":
    spec = json.load(sys.stdin)
    torch.set_num_threads(spec["threads"])
    for net in spec["networks"]:
        arch = net["architecture"]
        result = {"architecture": arch, "torch": torch.__version__}
        for key, layout in (("nchw", torch.contiguous_format), ("channels_last", torch.channels_last)):
            result[key] = measure(arch, net["stage1"], net["stage2"], spec["batch"], spec["size"], spec["seconds"], layout)
        print(json.dumps(result), flush=True)
