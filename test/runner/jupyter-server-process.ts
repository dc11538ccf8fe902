// A real `jupyter server` (from .venvs/jupyter) for the runner's remote tests and bench: 127.0.0.1, a free port, a
// random token, its own config and runtime dirs, and only the kernelspecs found in `jupyterPath`.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface RunningJupyterServer {
  url: string;
  token: string;
  process: ChildProcess;
  /** what the server has written so far (its log) */
  log(): string;
  /** SIGTERM (the server shuts its kernels down), SIGKILL after 10 s */
  stop(): Promise<void>;
}

export async function startJupyterServer(root: string, options: { jupyterPath: string[]; env?: Record<string, string>; rootDir?: string }): Promise<RunningJupyterServer> {
  const home = mkdtempSync(join(tmpdir(), "skipbook-jupyter-server-"));
  const token = randomBytes(16).toString("hex");
  // the front ends' server extensions (JupyterLab, Notebook, LSP, terminals) are not what is tested and cost seconds
  const noExtensions = "{'jupyterlab': False, 'notebook': False, 'jupyter_lsp': False, 'jupyter_server_terminals': False, 'notebook_shim': False}";
  const args = [
    "server",
    "--ServerApp.ip=127.0.0.1",
    "--ServerApp.port=0",
    `--IdentityProvider.token=${token}`,
    "--ServerApp.open_browser=False",
    `--ServerApp.root_dir=${options.rootDir ?? root}`,
    `--ServerApp.jpserver_extensions=${noExtensions}`,
    ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
  ];
  const child = spawn(join(root, ".venvs", "jupyter", "bin", "jupyter"), args, {
    env: {
      ...process.env,
      ...options.env,
      JUPYTER_PATH: options.jupyterPath.join(delimiter),
      JUPYTER_CONFIG_DIR: join(home, "config"),
      JUPYTER_RUNTIME_DIR: join(home, "runtime"),
      JUPYTER_DATA_DIR: join(home, "data"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (c) => (log += c));
  child.stderr!.on("data", (c) => (log += c));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`jupyter server did not start within 60 s:\n${log}`)), 60_000);
    const look = () => {
      const match = /(http:\/\/127\.0\.0\.1:\d+\/)\?token=/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stderr!.on("data", look);
    child.stdout!.on("data", look);
    child.once("exit", (code) => reject(new Error(`jupyter server exited (${code}) during start-up:\n${log}`)));
  });
  // the server prints its URL before its listening socket is bound (a callback on its event loop): wait for an answer
  for (let waited = 0; ; waited += 100) {
    try {
      if ((await fetch(new URL("api/status", url), { headers: { Authorization: `token ${token}` } })).ok) break;
    } catch {
      if (waited > 30_000) throw new Error(`jupyter server at ${url} does not answer:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    token,
    process: child,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
