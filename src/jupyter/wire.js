// The Jupyter wire protocol (messaging spec 5.3), shared by the kernel (server) and the runner (client): messages,
// their frames [...identities, "<IDS|MSG>", signature, header, parent_header, metadata, content, ...buffers] and
// HMAC signing. Plain CommonJS on purpose, with its types in wire.d.ts: the kernel's control thread (a worker that
// starts without a TypeScript loader, so that it answers at once) signs and checks with this same code.
"use strict";
const { createHmac, randomUUID, timingSafeEqual } = require("node:crypto");

const PROTOCOL_VERSION = "5.3";
const DELIMITER = Buffer.from("<IDS|MSG>");
const PART_NAMES = ["header", "parent_header", "metadata", "content"];

class WireError extends Error {
  constructor(message) {
    super(message);
    this.name = "WireError";
  }
}

class Signer {
  constructor(key, scheme = "hmac-sha256") {
    this.key = key;
    this.algorithm = undefined;
    if (!key) return;
    const match = /^hmac-(.+)$/.exec(scheme);
    if (!match) throw new WireError(`signature_scheme must look like "hmac-sha256", got "${scheme}"`);
    this.algorithm = match[1];
  }

  sign(frames) {
    if (!this.algorithm) return "";
    const hmac = createHmac(this.algorithm, this.key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest("hex");
  }

  verify(signature, frames) {
    if (!this.algorithm) return true;
    // constant-time, so the key cannot be guessed byte by byte from response times
    const expected = Buffer.from(this.sign(frames));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

function createMessage(msgType, content, options) {
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

function encodeMessage(message, signer) {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) => Buffer.from(JSON.stringify(part ?? {})));
  return [...message.identities, DELIMITER, Buffer.from(signer.sign(parts)), ...parts, ...(message.buffers ?? [])];
}

function decodeMessage(frames, signer) {
  const at = frames.findIndex((frame) => DELIMITER.equals(frame));
  if (at < 0) throw new WireError("message has no <IDS|MSG> delimiter");
  if (frames.length < at + 6) throw new WireError(`message has ${frames.length - at - 1} frames after the delimiter, expected at least 5`);
  const signature = frames[at + 1].toString("ascii");
  const parts = frames.slice(at + 2, at + 6);
  if (!signer.verify(signature, parts)) throw new WireError("message signature does not match (wrong key?)");
  const [header, parent_header, metadata, content] = parts.map((part, i) => {
    try {
      return JSON.parse(part.toString("utf8"));
    } catch (error) {
      throw new WireError(`message ${PART_NAMES[i]} is not valid JSON: ${error.message}`);
    }
  });
  if (!header || typeof header.msg_type !== "string") throw new WireError("message header has no msg_type");
  return { identities: frames.slice(0, at), header, parent_header: parent_header ?? {}, metadata: metadata ?? {}, content: content ?? {}, buffers: frames.slice(at + 6) };
}

module.exports = { PROTOCOL_VERSION, DELIMITER, WireError, Signer, createMessage, encodeMessage, decodeMessage };
