"""Where one step of a skiplib graph spends its time, op by op, measured by TensorFlow's own step statistics.

Runs a graph that skiplib wrote with SKIPLIB_GRAPH_DUMP=dir (dir/graph-N: saved_model.pb, signature.json) in a
TensorFlow 1.x-style session, as tfjs-node's session call runs it (Grappler and oneDNN's graph passes included), with
FULL_TRACE run options, and prints one row per op type: calls per step and milliseconds per step (each node's
start-to-end time on its thread, summed; nodes overlap on the inter-op pool, so the column sums past the wall time).
Feeds are random: a [batch, ...] normal tensor for each placeholder, one-hot rows for "target_*".

Needs a Python with tensorflow-cpu 2.21 (the wheel skiplib's libtensorflow comes from):
  python bench/graph_profile.py DIR/graph-1 [batch=32] [steps=20]
"""
import collections
import json
import sys
import time

import numpy as np
import tensorflow as tf


def main():
    path = sys.argv[1]
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    signature = json.load(open(f"{path}/signature.json"))
    tf.compat.v1.disable_eager_execution()
    rng = np.random.default_rng(1)
    with tf.compat.v1.Session() as sess:
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], path)
        graph = sess.graph
        feeds = {}
        for name in signature["inputs"]:
            tensor = graph.get_tensor_by_name(name)
            shape = [batch if d is None else d for d in tensor.shape.as_list()]
            if name.startswith("target_"):
                feeds[tensor] = np.eye(shape[-1], dtype=np.float32)[rng.integers(0, shape[-1], shape[0])]
            elif name.startswith("hyper_") or name.startswith("slot_"):
                feeds[tensor] = np.full(shape, 0.01, dtype=np.float32)
            else:
                feeds[tensor] = rng.normal(0, 0.1 if name.startswith("weight_") else 1, shape).astype(np.float32)
        fetches = [graph.get_tensor_by_name(n) for n in signature["outputs"]]
        for _ in range(3):
            sess.run(fetches, feeds)
        walls = []
        for _ in range(steps):
            start = time.perf_counter()
            sess.run(fetches, feeds)
            walls.append(time.perf_counter() - start)
        options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
        totals = collections.defaultdict(lambda: [0, 0.0])
        for _ in range(steps):
            metadata = tf.compat.v1.RunMetadata()
            sess.run(fetches, feeds, options=options, run_metadata=metadata)
            for device in metadata.step_stats.dev_stats:
                for node in device.node_stats:
                    op = node.timeline_label.split("(")[0].split("=")[-1].strip() or node.node_name
                    totals[op][0] += 1
                    totals[op][1] += node.all_end_rel_micros / 1000
    walls.sort()
    print(f"step (untraced): median {1000 * walls[len(walls) // 2]:.1f} ms, fastest {1000 * walls[0]:.1f} ms; batch {batch}, {steps} steps")
    print(f"{'op':<36} {'calls':>6} {'ms':>8}")
    for op, (calls, ms) in sorted(totals.items(), key=lambda kv: -kv[1][1]):
        if ms / steps >= 0.005:
            print(f"{op:<36} {calls / steps:>6.0f} {ms / steps:>8.2f}")


main()
