"""PyTorch peer for bench/training.bench.ts: a CIFAR ResNet written the way a PyTorch user writes it.

He et al. 2015 §4.2: 3×3 conv stem (16), three stages of n basic blocks (16/32/64 channels, stride 2 entering
stages 2 and 3), option-A shortcuts (subsample + zero channels), post-activation, global average pool, linear
head. NCHW, float32, nn.Conv2d/nn.BatchNorm2d (cuDNN/oneDNN-style fused kernels): the idiomatic, fast peer, not
the float64 cross-check references under test/skiplib, which are written for exactness, not speed.

Line protocol on stdin/stdout so the bench can interleave rounds with its own (no torch import per round):
  "train N" → runs N SGD+momentum steps, prints a JSON list of seconds per step
  "forward N" → N inference forward passes (no_grad, eval mode), same output
  "info" → {"params", "torch", "threads"};  EOF ends the process.
argv: depth batch
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)  # as skiplib (PyTorch defaults)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.stride, self.extra = stride, cout - cin

    def forward(self, x):
        f = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        s = x[:, :, :: self.stride, :: self.stride] if self.stride > 1 else x
        if self.extra:
            s = F.pad(s, (0, 0, 0, 0, 0, self.extra))
        return F.relu(s + f)


class CifarResNet(nn.Module):
    def __init__(self, depth, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16, eps=1e-5, momentum=0.1), nn.ReLU())
        blocks, cin = [], 16
        for width in (16, 32, 64):
            for b in range(n):
                blocks.append(Block(cin, width, 2 if b == 0 and width != 16 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(64, classes)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))


def main():
    depth, batch = int(sys.argv[1]), int(sys.argv[2])
    torch.manual_seed(1)
    model = CifarResNet(depth)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(batch, 3, 32, 32)
    y = torch.randint(0, 10, (batch,))

    def train_step():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss)

    def forward_pass():
        model.eval()
        with torch.no_grad():
            return float(model(x).sum())

    for line in sys.stdin:
        command = line.split()
        if command[0] == "info":
            params = sum(p.numel() for p in model.parameters())
            print(json.dumps({"params": params, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
            continue
        run = {"train": train_step, "forward": forward_pass}[command[0]]
        seconds = []
        for _ in range(int(command[1])):
            start = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - start)
        print(json.dumps(seconds), flush=True)


main()
