#!/usr/bin/env python3
"""Writes the small PyTorch checkpoint files the .pth reader tests use (run with Debian's python3-torch).

Values follow the formula of ../shared/fixtures/README.md so the C# tests can recompute them. Kept tiny (< 100 KB):
the files exercise the format (zip and legacy containers, dtypes, strides, offsets, shared storages, key variants),
not a real network.
"""
import math
from collections import OrderedDict

import torch


def formula(key, shape):
    seed = sum(key.encode("utf-8")) % 997
    n = math.prod(shape) if shape else 1
    last = key.split(".")[-1]
    fan_in = n / shape[0] if shape else 1
    out = []
    for i in range(n):
        h = (i * 0x9E3779B1 + seed) & 0xFFFFFFFF
        h ^= h >> 16
        h = (h * 0x7FEB352D) & 0xFFFFFFFF
        h ^= h >> 15
        h = (h * 0x846CA68B) & 0xFFFFFFFF
        h ^= h >> 16
        v = h / 2**32 * 2 - 1
        if last == "running_mean":
            out.append(0.1 * v)
        elif last == "running_var":
            out.append(1 + 0.5 * abs(v))
        elif last == "weight" and len(shape) == 1:
            out.append(1 + 0.1 * v)
        elif last == "bias" and len(shape) == 1:
            out.append(0.1 * v if any(s in key for s in ("bn", "norm", "downsample")) else 0.01 * v)
        else:
            out.append(v * math.sqrt(6 / fan_in))
    return torch.tensor(out, dtype=torch.float64).to(torch.float32).reshape(shape)


def zip_state_dict():
    sd = OrderedDict()
    sd["conv1.weight"] = formula("conv1.weight", [8, 3, 7, 7])
    sd["bn1.running_var"] = formula("bn1.running_var", [8])
    sd["bn1.num_batches_tracked"] = torch.tensor(5, dtype=torch.int64)
    sd["layer1.0.conv1.weight"] = formula("layer1.0.conv1.weight", [8, 8, 3, 3]).to(torch.float16)
    sd["layer2.0.conv1.weight"] = formula("layer2.0.conv1.weight", [16, 8, 3, 3]).to(torch.bfloat16)
    sd["fc.weight"] = formula("fc.weight", [4, 16]).t().contiguous().t()  # non-contiguous strides (1, 4)
    big = torch.cat([torch.zeros(3), formula("fc.bias", [4]), torch.zeros(3)])
    sd["fc.bias"] = big[3:7]  # a view at storage offset 3 of a 10-element storage
    sd["layer1.0.bn1.weight"] = formula("layer1.0.bn1.weight", [8])
    sd["layer1.0.bn1.bias"] = sd["layer1.0.bn1.weight"][:8]  # shares the storage of the previous tensor
    sd._metadata = OrderedDict({"": {"version": 1}})
    return sd


def chexnet_style():
    # CheXNet (arnoweng) checkpoints: nn.DataParallel ("module.") around a wrapper ("densenet121."), old DenseNet names.
    sd = OrderedDict()
    for key, shape in [("features.conv0.weight", [4, 3, 7, 7]),
                       ("features.denseblock1.denselayer1.norm.1.weight", [4]),
                       ("features.denseblock1.denselayer1.norm.1.running_mean", [4]),
                       ("features.denseblock1.denselayer1.conv.1.weight", [8, 4, 1, 1]),
                       ("features.denseblock1.denselayer1.norm.2.weight", [8]),
                       ("features.denseblock1.denselayer1.conv.2.weight", [2, 8, 3, 3]),
                       ("classifier.0.weight", [14, 6]),
                       ("classifier.0.bias", [14])]:
        sd["module.densenet121." + key] = formula(key, shape)
    return {"epoch": 7, "arch": "densenet121", "state_dict": sd, "best_loss": torch.tensor(0.25), "note": "CheXNet-style"}


if __name__ == "__main__":
    torch.save(zip_state_dict(), "zip-mixed.pth")
    torch.save(chexnet_style(), "chexnet-legacy.pth.tar", _use_new_zipfile_serialization=False)
    torch.save(chexnet_style(), "chexnet-zip.pth.tar")
    print("written")
