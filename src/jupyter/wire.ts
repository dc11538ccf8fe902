/**
 * The Jupyter wire protocol (messaging spec 5.3): message framing and HMAC signing, shared by the kernel (server)
 * and the runner (client). Frames: [...identities, "<IDS|MSG>", signature, header, parent_header, metadata, content, ...buffers].
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const PROTOCOL_VERSION = "5.3";
const DELIMITER = Buffer.from("<IDS|MSG>");

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

export interface JupyterMessage<C = any> {
  identities: Buffer[];
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** A message that cannot be decoded: no delimiter, bad JSON, or a signature that does not match. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

/** HMAC signer for messages; an empty key disables signing, as Jupyter does. */
export class Signer {
  private readonly algorithm: string | undefined;

  constructor(private readonly key: string, scheme = "hmac-sha256") {
    if (!key) return;
    const match = /^hmac-(.+)$/.exec(scheme);
    if (!match) throw new WireError(`signature_scheme must look like "hmac-sha256", got "${scheme}"`);
    this.algorithm = match[1];
  }

  sign(frames: Buffer[]): string {
    if (!this.algorithm) return "";
    const hmac = createHmac(this.algorithm, this.key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest("hex");
  }

  /** constant-time comparison, so the key cannot be guessed byte by byte from response times */
  verify(signature: string, frames: Buffer[]): boolean {
    if (!this.algorithm) return true;
    const expected = Buffer.from(this.sign(frames));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/** A new message; with `parent`, a reply to it (parent header copied, routed back to the parent's identities). */
export function createMessage<C>(
  msgType: string,
  content: C,
  options: { session: string; parent?: JupyterMessage; username?: string; metadata?: Record<string, unknown>; identities?: Buffer[] },
): JupyterMessage<C> {
  return {
    identities: options.identities ?? options.parent?.identities ?? [],
    header: {
      msg_id: randomUUID(),
      session: options.session,
      username: options.username ?? "skipbook",
      date: new Date().toISOString(),
      msg_type: msgType,
      version: PROTOCOL_VERSION,
    },
    parent_header: options.parent ? { ...options.parent.header } : {},
    metadata: options.metadata ?? {},
    content,
    buffers: [],
  };
}

export function encodeMessage(message: JupyterMessage, signer: Signer): Buffer[] {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) => Buffer.from(JSON.stringify(part ?? {})));
  return [...message.identities, DELIMITER, Buffer.from(signer.sign(parts)), ...parts, ...message.buffers];
}

export function decodeMessage(frames: Buffer[], signer: Signer): JupyterMessage {
  const at = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (at < 0) throw new WireError("message has no <IDS|MSG> delimiter");
  if (frames.length < at + 6) throw new WireError(`message has ${frames.length - at - 1} frames after the delimiter, expected at least 5`);
  const signature = frames[at + 1].toString("ascii");
  const parts = frames.slice(at + 2, at + 6);
  if (!signer.verify(signature, parts)) throw new WireError("message signature does not match (wrong key?)");
  const [header, parent_header, metadata, content] = parts.map((part, i) => {
    try {
      return JSON.parse(part.toString("utf8"));
    } catch (error) {
      const names = ["header", "parent_header", "metadata", "content"];
      throw new WireError(`message ${names[i]} is not valid JSON: ${(error as Error).message}`);
    }
  });
  if (!header || typeof header.msg_type !== "string") throw new WireError("message header has no msg_type");
  return { identities: frames.slice(0, at), header, parent_header: parent_header ?? {}, metadata: metadata ?? {}, content: content ?? {}, buffers: frames.slice(at + 6) };
}
