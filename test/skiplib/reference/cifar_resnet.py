"""An independent PyTorch reference for skiplib's CIFAR ResNet (He et al. 2015 §4.2 and He et al. 2016).

Written from the papers, not from skiplib's graph: stem, three stages of n blocks at 3 widths, stride 2 on the
first block of stages 2 and 3, option-A (subsample + zero channels) or option-B (1x1 conv + BN) shortcuts,
post- or pre-activation, global average pooling, softmax. Reads JSON on stdin:
  {"config": {depth, preActivation, shortcut}, "weights": {layer: {kernel|gamma|...: nested list}},
   "x": NHWC nested list, "r": output weights for the scalar sum(y * r)}
and writes {"y": softmax outputs, "gx": d sum(y*r) / dx (NHWC)} in float64.
TensorFlow's "same" padding puts the odd pixel at the bottom/right; that convention is mimicked here.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
EPS = 1e-5


def tensor(a):
    return torch.tensor(a, dtype=torch.float64)


def same_pad(x, k, s):
    def pads(n):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        return total // 2, total - total // 2

    (top, bottom), (left, right) = pads(x.shape[2]), pads(x.shape[3])
    return F.pad(x, (left, right, top, bottom))


def main():
    spec = json.load(sys.stdin)
    cfg, W = spec["config"], spec["weights"]
    n = (cfg["depth"] - 2) // 6
    pre = cfg["preActivation"]

    def conv(x, name, s=1):
        kernel = tensor(W[name]["kernel"]).permute(3, 2, 0, 1)  # HWIO -> OIHW
        return F.conv2d(same_pad(x, kernel.shape[2], s), kernel, stride=s)

    def bn(x, name):
        p = {k: tensor(v)[None, :, None, None] for k, v in W[name].items()}
        return (x - p["moving_mean"]) / torch.sqrt(p["moving_variance"] + EPS) * p["gamma"] + p["beta"]

    x = tensor(spec["x"]).permute(0, 3, 1, 2).requires_grad_(True)
    h = conv(x, "stem_conv")
    if not pre:
        h = F.relu(bn(h, "stem_bn"))
    for s in (1, 2, 3):
        for b in range(1, n + 1):
            name = f"stage{s}_block{b}"
            stride = 2 if s > 1 and b == 1 else 1
            if pre:
                a = F.relu(bn(h, f"{name}_bn1"))
                f = conv(F.relu(bn(conv(a, f"{name}_conv1", stride), f"{name}_bn2")), f"{name}_conv2")
            else:
                a = h
                f = bn(conv(F.relu(bn(conv(h, f"{name}_conv1", stride), f"{name}_bn1")), f"{name}_conv2"), f"{name}_bn2")
            shortcut = h
            if stride != 1 or h.shape[1] != f.shape[1]:
                if cfg["shortcut"] == "A":
                    shortcut = h[:, :, ::stride, ::stride]
                    shortcut = F.pad(shortcut, (0, 0, 0, 0, 0, f.shape[1] - h.shape[1]))
                else:
                    shortcut = conv(a, f"{name}_shortcut_conv", stride)
                    if not pre:
                        shortcut = bn(shortcut, f"{name}_shortcut_bn")
            h = shortcut + f if pre else F.relu(shortcut + f)
    if pre:
        h = F.relu(bn(h, "final_bn"))
    pooled = h.mean(dim=(2, 3))
    y = torch.softmax(pooled @ tensor(W["head"]["kernel"]) + tensor(W["head"]["bias"]), dim=1)
    (y * tensor(spec["r"])).sum().backward()
    json.dump({"y": y.tolist(), "gx": x.grad.permute(0, 2, 3, 1).tolist()}, sys.stdout)


main()
