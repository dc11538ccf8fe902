/**
 * Starts a kernel from its kernelspec the way jupyter_client's KernelManager does: a fresh connection file
 * (random HMAC key, free loopback ports), `{connection_file}` and `{resource_dir}` substituted in argv, then waits
 * until the kernel answers kernel_info on shell and publishes on IOPub. The kernel runs in its own process group,
 * so interrupts and kills reach the processes it starts (tsx, for instance, runs the real kernel in a child).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { KernelClient } from "./client";
import { newConnectionInfo, writeConnectionFile, type ConnectionInfo } from "./connection";
import { findKernelspec, kernelDirs as defaultKernelDirs, type Kernelspec } from "./kernelspec";
import type { JupyterMessage } from "./wire";

export interface LaunchOptions {
  cwd?: string;
  /** added to the environment (after the kernelspec's own env) */
  env?: Record<string, string>;
  /** `kernels` folders to search (default: the project-local dir, then Jupyter's path) */
  kernelDirs?: string[];
  /** how long the kernel may take to answer kernel_info (default 60 s: a cold TypeScript kernel compiles first) */
  startTimeoutMs?: number;
}

export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** set when the program could not be started at all */
  error?: Error;
}

export interface LaunchedKernel {
  client: KernelClient;
  process: ChildProcess;
  connectionFile: string;
  connection: ConnectionInfo;
  kernelspec: Kernelspec;
  /** the kernel_info_reply content (language_info, implementation_version, ...) */
  info: Record<string, any>;
  /** resolves when the kernel process has exited */
  exited: Promise<KernelExit>;
  /** whether the process is still running */
  alive(): boolean;
  /** the last lines the kernel wrote to stdout/stderr (for reports when it dies) */
  logTail(): string;
  /** interrupts the running cell: SIGINT to the process group, or interrupt_request when interrupt_mode is "message" */
  interrupt(): Promise<void>;
  /** asks the kernel to shut down, waits briefly, then kills it; always cleans up */
  shutdown(graceMs?: number): Promise<void>;
  /** kills the kernel's process group at once (SIGKILL) and cleans up */
  kill(): Promise<void>;
}

/** Kernel process groups still alive; killed if this process exits without shutting them down. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", killAllKernels);
  // Kernels live in their own process group, so a Ctrl-C meant for us does not reach them. When nobody else
  // handles the signal (a library caller such as the book build), stop the kernels, then die of it as we would have.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    if (process.listenerCount(signal) > 0) continue;
    const onSignal = () => {
      killAllKernels();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGKILLs what is left of a process group and waits (up to 2 s) until it is gone, so callers see no survivor. */
async function groupKill(pgid: number): Promise<void> {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    return; // the group is empty: the usual case
  }
  for (let waited = 0; waited < 2000; waited += 10) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await delay(10);
  }
}

/** Kills every kernel this process started (for a CLI's SIGINT/SIGTERM handler). */
export function killAllKernels(): void {
  for (const pid of liveGroups) killGroup(pid, "SIGKILL");
}

/** Starts kernelspec `specName`; resolves once the kernel has answered, rejects with its output if it exits first. */
export async function launchKernel(specName: string, options: LaunchOptions = {}): Promise<LaunchedKernel> {
  // the free ports are found by binding and releasing them (as jupyter_client does): another process can take one
  // before the kernel binds it, and the kernel then exits saying so; fresh ports fix that
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(specName, options);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof PortTakenError)) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function launchOnce(specName: string, options: LaunchOptions): Promise<LaunchedKernel> {
  const kernelspec = findKernelspec(specName, options.kernelDirs ?? defaultKernelDirs());
  const connection = { ...(await newConnectionInfo()), kernel_name: kernelspec.name };
  const runtimeDir = mkdtempSync(join(tmpdir(), "skipbook-kernel-"));
  const connectionFile = join(runtimeDir, `kernel-${process.pid}-${connection.shell_port}.json`);
  writeConnectionFile(connection, connectionFile);
  const argv = kernelspec.spec.argv.map((arg) =>
    arg.replaceAll("{connection_file}", connectionFile).replaceAll("{resource_dir}", kernelspec.dir),
  );
  argv[0] = resolvePython(argv[0], kernelspec.dir);
  const env: Record<string, string | undefined> = { ...process.env };
  for (const [key, value] of Object.entries(kernelspec.spec.env ?? {})) {
    // jupyter_client expands ${VAR} in kernelspec env values from the launching environment
    env[key] = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => process.env[name] ?? "");
  }
  Object.assign(env, options.env ?? {});
  env.JPY_PARENT_PID = String(process.pid);

  installExitHook();
  const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-8000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const outputClosed = new Promise((done) => child.once("close", done));
  const exited = new Promise<KernelExit>((resolveExit) => {
    child.once("exit", (code, signal) => {
      if (child.pid) liveGroups.delete(child.pid);
      resolveExit({ code, signal });
    });
    child.once("error", (error) => {
      if (child.pid) liveGroups.delete(child.pid);
      resolveExit({ code: null, signal: null, error });
    });
  });
  if (child.pid) liveGroups.add(child.pid);
  let running = true;
  void exited.then(() => (running = false));

  let client: KernelClient | undefined;
  const cleanup = async () => {
    client?.close();
    rmSync(runtimeDir, { recursive: true, force: true });
  };
  const kill = async () => {
    if (running && child.pid) killGroup(child.pid, "SIGKILL");
    await exited;
    // whatever the kernel started may outlive it in its group (a wrapper that exits first, say)
    if (child.pid) await groupKill(child.pid);
    await cleanup();
  };

  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  try {
    client = await KernelClient.connect(connection);
    const info = await Promise.race([
      waitForReady(client, startTimeoutMs, () => running),
      exited.then(async (exit) => {
        if (exit.error) throw new Error(`kernel "${kernelspec.name}": cannot start ${argv[0]}: ${exit.error.message}`);
        // "exit" can come before the last of its output has been read; a child of the kernel may hold the pipes open
        await Promise.race([outputClosed, new Promise((done) => setTimeout(done, 500))]);
        const message = `kernel "${kernelspec.name}" exited during start-up (${describeExit(exit)})${tail(log)}`;
        throw /address already in use|EADDRINUSE/i.test(log) ? new PortTakenError(message) : new Error(message);
      }),
    ]);
    const readyClient = client;
    return {
      client: readyClient,
      process: child,
      connectionFile,
      connection,
      kernelspec,
      info,
      exited,
      alive: () => running,
      logTail: () => log,
      async interrupt() {
        if (kernelspec.spec.interrupt_mode === "message") await readyClient.interrupt();
        else if (running && child.pid) killGroup(child.pid, "SIGINT");
      },
      async shutdown(graceMs = 2000) {
        if (running) {
          await Promise.race([readyClient.shutdown(false).catch(() => undefined), delay(graceMs)]);
          await Promise.race([exited, delay(graceMs)]);
        }
        await kill();
      },
      kill,
    };
  } catch (error) {
    await kill();
    throw error;
  }
}

// kernel_info on shell proves the kernel runs; a status message on IOPub proves our subscription is live,
// so the first cell's outputs cannot be lost (jupyter_client's wait_for_ready does the same dance)
async function waitForReady(client: KernelClient, timeoutMs: number, alive: () => boolean): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  const answered = new Set<string>();
  const stop = client.onIopub((message) => {
    if (message.parent_header.msg_id) answered.add(message.parent_header.msg_id);
  });
  try {
    // stops as soon as the kernel has exited (the caller reports that) or the client was closed
    while (Date.now() < deadline && alive() && !client.isClosed) {
      let reply: JupyterMessage;
      try {
        reply = await client.kernelInfo(Math.min(2000, Math.max(1, deadline - Date.now())));
      } catch {
        await delay(50);
        continue; // not answering yet
      }
      const id = reply.parent_header.msg_id ?? "";
      // IOPub may not have joined when the kernel published this request's status (ZeroMQ's slow joiner): ask
      // again soon rather than wait out a message that was dropped
      for (let waited = 0; waited < 250 && !answered.has(id); waited += 10) await delay(10);
      if (answered.has(id)) return reply.content;
    }
  } finally {
    stop();
  }
  throw new Error(`kernel did not answer kernel_info within ${Math.round(timeoutMs / 1000)} s`);
}

// ipykernel's stock spec says just "python", meaning the Python that installed it (jupyter_client swaps in
// sys.executable); for a spec inside an environment, `<prefix>/share/jupyter/kernels/x`, that is `<prefix>/bin/python`
function resolvePython(program: string, specDir: string): string {
  if (program !== "python" && program !== "python3") return program;
  const prefix = resolve(specDir, "..", "..", "..", "..");
  const candidate = join(prefix, "bin", program);
  return existsSync(candidate) ? candidate : program;
}

export function describeExit(exit: KernelExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

function tail(log: string): string {
  const lines = log.trim().split("\n").slice(-15);
  return lines.length && lines[0] ? `; its last output:\n${lines.join("\n")}` : "";
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms).unref());
}
