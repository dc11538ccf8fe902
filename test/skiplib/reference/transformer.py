"""An independent PyTorch reference for skiplib's Transformer (models/transformer.ts), built from PyTorch's own
modules: nn.Embedding, nn.TransformerEncoderLayer (norm_first=True for pre-LN, False for post-LN, the original
Transformer's LayerNorm(x + Sublayer(x))), nn.MultiheadAttention, nn.LayerNorm and nn.Linear. The control without
skips has no PyTorch module, so it is written here from the same nn.MultiheadAttention, nn.Linear and nn.LayerNorm.

Reads a JSON list on stdin, one case each:
  {"config": {vocabSize, maxLength, dModel, numHeads, depth, mlpDim, norm, residual, causal},
   "weights": {layer: {weight name: nested list}}, "x": tokens [batch, T], "y": targets [batch, T] (-1 = unscored)}
and writes a list of, in float64, {"logits": [batch, T, V], "loss": cross-entropy over scored positions,
  "grads": {layer: {weight name: dloss/dweight in skiplib's layout}}}.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def tensor(a):
    return torch.tensor(a, dtype=torch.float64)


class PlainBlock(nn.Module):
    """The block without its two additions: h <- MLP(LN2(Attn(LN1(h))))."""

    def __init__(self, d, heads, mlp_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.self_attn = nn.MultiheadAttention(d, heads, dropout=0.0, batch_first=True)
        self.norm2 = nn.LayerNorm(d)
        self.linear1 = nn.Linear(d, mlp_dim)
        self.linear2 = nn.Linear(mlp_dim, d)

    def forward(self, h, src_mask=None, is_causal=False):
        h = self.norm1(h)
        h = self.self_attn(h, h, h, attn_mask=src_mask, need_weights=False)[0]
        return self.linear2(F.relu(self.linear1(self.norm2(h))))


def build(config):
    d, heads, mlp_dim = config["dModel"], config["numHeads"], config["mlpDim"]
    blocks = []
    for _ in range(config["depth"]):
        if config["residual"]:
            blocks.append(nn.TransformerEncoderLayer(d, heads, dim_feedforward=mlp_dim, dropout=0.0, activation="relu",
                                                     layer_norm_eps=1e-5, batch_first=True,
                                                     norm_first=config["norm"] == "pre"))
        else:
            blocks.append(PlainBlock(d, heads, mlp_dim))
    return nn.ModuleDict({
        "token": nn.Embedding(config["vocabSize"], d),
        "blocks": nn.ModuleList(blocks),
        "final_norm": nn.LayerNorm(d),
        "unembed": nn.Linear(d, config["vocabSize"]),
    }), nn.Parameter(torch.zeros(config["maxLength"], d))


def bindings(model, position):
    """(skiplib layer, weight name, torch parameter, transpose?) for every weight."""
    out = [("token_embedding", "embeddings", model["token"].weight, False),
           ("position_embedding", "embeddings", position, False)]
    for i, block in enumerate(model["blocks"], start=1):
        b = f"block{i}"
        out += [(f"{b}_ln1", "gamma", block.norm1.weight, False), (f"{b}_ln1", "beta", block.norm1.bias, False),
                (f"{b}_attn", "qkv_kernel", block.self_attn.in_proj_weight, True),
                (f"{b}_attn", "qkv_bias", block.self_attn.in_proj_bias, False),
                (f"{b}_attn", "out_kernel", block.self_attn.out_proj.weight, True),
                (f"{b}_attn", "out_bias", block.self_attn.out_proj.bias, False),
                (f"{b}_ln2", "gamma", block.norm2.weight, False), (f"{b}_ln2", "beta", block.norm2.bias, False),
                (f"{b}_mlp", "in_kernel", block.linear1.weight, True), (f"{b}_mlp", "in_bias", block.linear1.bias, False),
                (f"{b}_mlp", "out_kernel", block.linear2.weight, True), (f"{b}_mlp", "out_bias", block.linear2.bias, False)]
    out += [("final_norm", "gamma", model["final_norm"].weight, False), ("final_norm", "beta", model["final_norm"].bias, False),
            ("unembed", "kernel", model["unembed"].weight, True), ("unembed", "bias", model["unembed"].bias, False)]
    return out


def run(spec):
    config = spec["config"]
    model, position = build(config)
    binds = bindings(model, position)
    with torch.no_grad():
        for layer, name, param, transpose in binds:
            value = tensor(spec["weights"][layer][name])
            param.copy_(value.T if transpose else value)
    model.train()  # dropout is 0; training mode keeps PyTorch off its inference fast path
    x = torch.tensor(spec["x"], dtype=torch.long)
    y = torch.tensor(spec["y"], dtype=torch.long)
    positions = x.shape[1]
    h = model["token"](x) + position[:positions]
    mask = nn.Transformer.generate_square_subsequent_mask(positions, dtype=torch.float64) if config["causal"] else None
    for block in model["blocks"]:
        h = block(h, src_mask=mask, is_causal=config["causal"])
    logits = model["unembed"](model["final_norm"](h))
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-1)
    loss.backward()
    grads = {}
    for layer, name, param, transpose in binds:
        grads.setdefault(layer, {})[name] = (param.grad.T if transpose else param.grad).tolist()
    return {"logits": logits.tolist(), "loss": loss.item(), "grads": grads}


def main():
    json.dump([run(spec) for spec in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
