"""Independent reference for skiplib's gradient probes: rebuilds a tf.layers graph exported as JSON in PyTorch
(float64), runs the same loss on the same batch and writes per-layer gradient norms ‖∂L/∂W_l‖ and activation
gradient norms ‖∂L/∂a_l‖. Layouts follow TensorFlow (NHWC, kernels [kh, kw, in, out]); convolutions permute.

usage: python torch_reference.py gradients model.json result.json
       python torch_reference.py surface model.json result.json   (float32 loss grid, timed, for the bench)
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def activation(name, x):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return torch.relu(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "softmax":
        return torch.softmax(x, dim=-1)
    raise ValueError(f"unsupported activation {name}")


def same_padding(size, kernel, stride):
    # TensorFlow's "same": total padding split with the extra pixel at the end
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def conv2d(x, kernel, bias, config):
    (kh, kw), (sh, sw) = config["kernelSize"], config["strides"]
    x = x.permute(0, 3, 1, 2)
    if config["padding"] == "same":
        top, bottom = same_padding(x.shape[2], kh, sh)
        left, right = same_padding(x.shape[3], kw, sw)
        x = F.pad(x, (left, right, top, bottom))
    y = F.conv2d(x, kernel.permute(3, 2, 0, 1), bias, stride=(sh, sw))
    return y.permute(0, 2, 3, 1)


def batch_norm(x, w, config, training):
    gamma, beta, mean, var = w["gamma"], w["beta"], w["moving_mean"], w["moving_variance"]
    if training:
        axes = tuple(range(x.dim() - 1))
        mean = x.mean(dim=axes)
        var = x.var(dim=axes, unbiased=False)
    return (x - mean) / torch.sqrt(var + config["epsilon"]) * gamma + beta


def run_layer(layer, inputs, w, training):
    kind, config = layer["className"], layer["config"]
    x = inputs[0]
    if kind == "Dense":
        y = x @ w["kernel"]
        if "bias" in w:
            y = y + w["bias"]
        return activation(config.get("activation"), y)
    if kind == "Conv2D":
        return activation(config.get("activation"), conv2d(x, w["kernel"], w.get("bias"), config))
    if kind == "BatchNormalization":
        return batch_norm(x, w, config, training)
    if kind == "Activation":
        return activation(config["activation"], x)
    if kind == "ReLU":
        return torch.relu(x)
    if kind == "Add":
        return sum(inputs[1:], inputs[0])
    if kind == "SkiplibZeroPadShortcut":  # He et al. 2015 option A: x[:, ::s, ::s, :] plus zero channels
        s = config["strides"]
        x = x[:, ::s, ::s, :]
        return F.pad(x, (0, config["outChannels"] - x.shape[3]))
    if kind == "GlobalAveragePooling2D":
        return x.mean(dim=(1, 2))
    if kind == "Flatten":
        return x.reshape(x.shape[0], -1)
    raise ValueError(f"unsupported layer {kind}")


def loss_fn(name, target, prediction):
    if name == "meanSquaredError":
        return ((target - prediction) ** 2).mean()
    if name == "categoricalCrossentropy":
        # as tf.metrics.categoricalCrossentropy: renormalise, clip to [1e-7, 1 - 1e-7], −Σ t log p, batch mean
        p = prediction / prediction.sum(dim=-1, keepdim=True)
        p = p.clamp(1e-7, 1 - 1e-7)
        return -(target * torch.log(p)).sum(dim=-1).mean()
    raise ValueError(f"unsupported loss {name}")


def forward(spec, weights, x, training):
    values = {spec["input"]: x}
    outputs = []
    for layer in spec["layers"]:
        y = run_layer(layer, [values[t] for t in layer["inputs"]], weights[layer["name"]], training)
        values[layer["output"]] = y
        outputs.append((layer["name"], y))
    return values[spec["output"]], outputs


def gradients(spec, dst):
    if isinstance(spec, list):  # several models in one process: torch's import dominates a small check
        results = []
        for i, one in enumerate(spec):
            gradients(one, f"{dst}.{i}")
            results.append(json.load(open(f"{dst}.{i}")))
        json.dump(results, open(dst, "w"))
        return
    training = spec["training"]
    weights = {
        layer["name"]: {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in layer["weights"].items()}
        for layer in spec["layers"]
    }
    x = torch.tensor(spec["x"], dtype=torch.float64)
    prediction, outputs = forward(spec, weights, x, training)
    for _, y in outputs:
        y.retain_grad()
    loss = loss_fn(spec["loss"], torch.tensor(spec["y"], dtype=torch.float64), prediction)
    loss.backward()
    layer_norms = []
    for layer in spec["layers"]:
        grads = [weights[layer["name"]][k].grad for k in layer["trainable"]]
        if grads:
            layer_norms.append({"layer": layer["name"], "gradNorm": math.sqrt(sum(float((g ** 2).sum()) for g in grads))})
    activation_norms = [{"layer": name, "gradNorm": float(y.grad.norm())} for name, y in outputs]
    json.dump({"loss": float(loss), "layers": layer_norms, "activations": activation_norms}, open(dst, "w"))


def surface(spec, dst):
    """L(θ + αδ + βη) on a grid, float32, inference mode, weights overwritten in place, batches of batchSize."""
    torch.set_default_dtype(torch.float32)
    f32 = lambda v: torch.tensor(v, dtype=torch.float32)
    weights = {layer["name"]: {k: f32(v) for k, v in layer["weights"].items()} for layer in spec["layers"]}
    origin = {n: {k: v.clone() for k, v in w.items()} for n, w in weights.items()}
    delta = {n: {k: f32(v) for k, v in w.items()} for n, w in spec["directions"][0].items()}
    eta = {n: {k: f32(v) for k, v in w.items()} for n, w in spec["directions"][1].items()}
    moving = [(n, k) for n, w in delta.items() for k in w if delta[n][k].abs().max() > 0 or eta[n][k].abs().max() > 0]
    x, y = f32(spec["x"]), f32(spec["y"])
    batch = spec["batchSize"]
    lo, hi = spec["range"]
    r = spec["resolution"]
    coords = [lo + (hi - lo) * i / (r - 1) for i in range(r)]
    losses = []
    with torch.no_grad():
        forward(spec, weights, x[:batch], False)  # warm-up: oneDNN primitives, allocations
        start = time.perf_counter()
        for a in coords:
            row = []
            for b in coords:
                for n, k in moving:
                    torch.add(origin[n][k], delta[n][k], alpha=a, out=weights[n][k])
                    weights[n][k].add_(eta[n][k], alpha=b)
                total = 0.0
                for s in range(0, x.shape[0], batch):
                    p, _ = forward(spec, weights, x[s:s + batch], False)
                    total += float(loss_fn(spec["loss"], y[s:s + batch], p)) * p.shape[0]
                row.append(total / x.shape[0])
            losses.append(row)
        seconds = time.perf_counter() - start
    json.dump({"losses": losses, "seconds": seconds, "threads": torch.get_num_threads(), "torch": torch.__version__}, open(dst, "w"))


if __name__ == "__main__":
    mode, src, dst = sys.argv[1:4]
    {"gradients": gradients, "surface": surface}[mode](json.load(open(src)), dst)
