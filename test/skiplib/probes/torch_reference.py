"""Independent reference for skiplib's gradient probes: rebuilds a tf.layers graph exported as JSON in PyTorch
(float64), runs the same loss on the same batch and writes per-layer gradient norms ‖∂L/∂W_l‖ and activation
gradient norms ‖∂L/∂a_l‖. Layouts follow TensorFlow (NHWC, kernels [kh, kw, in, out]); convolutions permute.

usage: python torch_reference.py model.json result.json
"""
import json
import math
import sys

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


def main(src, dst):
    spec = json.load(open(src))
    training = spec["training"]
    weights = {
        layer["name"]: {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in layer["weights"].items()}
        for layer in spec["layers"]
    }
    values = {spec["input"]: torch.tensor(spec["x"], dtype=torch.float64)}
    outputs = []
    for layer in spec["layers"]:
        y = run_layer(layer, [values[t] for t in layer["inputs"]], weights[layer["name"]], training)
        y.retain_grad()
        values[layer["output"]] = y
        outputs.append((layer["name"], y))
    loss = loss_fn(spec["loss"], torch.tensor(spec["y"], dtype=torch.float64), values[spec["output"]])
    loss.backward()
    trainable = {layer["name"]: layer["trainable"] for layer in spec["layers"]}
    layer_norms = []
    for layer in spec["layers"]:
        grads = [weights[layer["name"]][k].grad for k in trainable[layer["name"]]]
        if grads:
            layer_norms.append({"layer": layer["name"], "gradNorm": math.sqrt(sum(float((g ** 2).sum()) for g in grads))})
    activation_norms = [{"layer": name, "gradNorm": float(y.grad.norm())} for name, y in outputs]
    json.dump({"loss": float(loss), "layers": layer_norms, "activations": activation_norms}, open(dst, "w"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
