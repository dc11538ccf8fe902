/**
 * Whether TensorFlow should run its oneDNN kernels, decided before libtensorflow loads.
 *
 * TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, as its library loads (`require("@tensorflow/tfjs-node")`: a value set
 * after that, even before the first op, is ignored); unset, its Linux x86 default is on only for CPUs
 * with AVX512-VNNI, AVX512-BF16, AVX-VNNI or AMX (DefaultOneDnnPolicy in tensorflow/core/util/port.cc): recent
 * Intel Xeons and AMD Zen 4, not Zen 2/3 EPYCs nor Intel before Ice Lake. There its Eigen kernels run instead, and
 * the pip wheel builds them for AVX only, so a ResNet-20 training step costs about 1.5× more (conv backward
 * passes 2-3×). oneDNN picks its ISA at run time (AVX2 on Zen 2/3), so on x86-64 it is the faster default.
 * A value the reader set wins, so `TF_ENABLE_ONEDNN_OPTS=0` is the switch back to TensorFlow's own choice of Eigen.
 */
export function oneDnnSetting(env: NodeJS.ProcessEnv, arch: string): string | undefined {
  if (env.TF_ENABLE_ONEDNN_OPTS !== undefined) return env.TF_ENABLE_ONEDNN_OPTS;
  // ARM builds use oneDNN with Arm Compute Library only on some cores (Neoverse V1): leave TensorFlow's rule there.
  return arch === "x64" ? "1" : undefined;
}

/** Sets TF_ENABLE_ONEDNN_OPTS for this process when it is unset; call before `require("@tensorflow/tfjs-node")`. */
export function preferOneDnn(env: NodeJS.ProcessEnv = process.env, arch: string = process.arch): void {
  const setting = oneDnnSetting(env, arch);
  if (setting !== undefined) env.TF_ENABLE_ONEDNN_OPTS = setting;
}

/** Whether oneDNN is on for this process, as TensorFlow reads the variable ("1"/"true", case-insensitive). */
export function oneDnnEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true)$/i.test(env.TF_ENABLE_ONEDNN_OPTS?.trim() ?? "");
}
