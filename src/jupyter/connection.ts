/** Connection files: how a kernel and its clients find each other (transport, ip, five ports, HMAC key). */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { writeFileAtomic } from "../files/atomic-write";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

export type Channel = "shell" | "iopub" | "stdin" | "control" | "hb";
const PORT_FIELDS = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const;

/** Reads and checks a connection file; errors say which file and which field. */
export function readConnectionFile(path: string): ConnectionInfo {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`connection file ${path} cannot be read: ${(error as Error).message}`);
  }
  let info: Partial<ConnectionInfo>;
  try {
    info = JSON.parse(text);
  } catch (error) {
    throw new Error(`connection file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const missing = [...PORT_FIELDS, "ip", "key"].filter((field) => (info as Record<string, unknown>)[field] === undefined);
  if (missing.length) throw new Error(`connection file ${path} lacks ${missing.join(", ")}`);
  for (const field of PORT_FIELDS) {
    const port = info[field];
    if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) {
      throw new Error(`connection file ${path}: ${field} must be a port number, got ${JSON.stringify(port)}`);
    }
  }
  return { transport: info.transport ?? "tcp", signature_scheme: info.signature_scheme ?? "hmac-sha256", ...info } as ConnectionInfo;
}

/** The ZeroMQ endpoint of a channel ("tcp://127.0.0.1:5555", or "ipc://path-2" for ipc). */
export function endpoint(info: ConnectionInfo, channel: Channel): string {
  const port = info[`${channel}_port` as (typeof PORT_FIELDS)[number]];
  return info.transport === "ipc" ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}

/** `count` distinct free TCP ports on 127.0.0.1 (held open together, so no port is handed out twice). */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolvePort, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolvePort(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

/** A fresh loopback connection with a random 256-bit key. */
export async function newConnectionInfo(): Promise<ConnectionInfo> {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freeLoopbackPorts(5);
  return {
    transport: "tcp",
    ip: "127.0.0.1",
    shell_port,
    iopub_port,
    stdin_port,
    control_port,
    hb_port,
    key: randomBytes(32).toString("hex"),
    signature_scheme: "hmac-sha256",
  };
}

/** Writes a connection file atomically, readable by its owner only (it holds the signing key). */
export function writeConnectionFile(info: ConnectionInfo, path: string): void {
  writeFileAtomic(path, JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
}
