// `npm run lab`: JupyterLab on notebooks/ with the skipbook kernel, from the project's own Python environment.
// `npm run lab -- --notebook` opens Notebook 7 instead; any other arguments go to Jupyter as they are.
import { spawn } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ensurePythonEnv, venvDir } from "./python-env.mjs";
import { installKernelspec } from "./kernelspec.mjs";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
ensurePythonEnv("jupyter");
await installKernelspec(root, (message) => console.log(message));

const args = process.argv.slice(2);
const app = args.includes("--notebook") ? "notebook" : "lab";
const rest = args.filter((arg) => arg !== "--notebook");
// Containers often run as root, where Jupyter refuses to start without being told it is meant.
if (process.getuid?.() === 0 && !rest.includes("--allow-root")) rest.push("--allow-root");
const jupyter = join(venvDir("jupyter"), "bin", "jupyter");
// The project-local kernelspec dir comes first, so this checkout's kernel wins over another one installed for the user.
const env = { ...process.env, JUPYTER_PATH: [join(root, ".jupyter-kernels"), process.env.JUPYTER_PATH].filter(Boolean).join(":") };
const child = spawn(jupyter, [app, `--ServerApp.root_dir=${join(root, "notebooks")}`, "--MultiKernelManager.default_kernel_name=skipbook", ...rest], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
