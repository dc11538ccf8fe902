/** The Jupyter wire protocol (messaging spec 5.3): the types of wire.js. */

export const PROTOCOL_VERSION: "5.3";

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

/** The frame between a message's routing identities and its signature. */
export const DELIMITER: Buffer;

/** A message that cannot be decoded: no delimiter, bad JSON, or a signature that does not match. */
export class WireError extends Error {
  constructor(message: string);
}

/** HMAC signer for messages; an empty key disables signing, as Jupyter does. */
export class Signer {
  /** @param scheme the connection file's signature_scheme, "hmac-<algorithm>" (default hmac-sha256) */
  constructor(key: string, scheme?: string);
  /** The hex HMAC of the frames, or "" when signing is off. */
  sign(frames: Uint8Array[]): string;
  /** Whether `signature` is the frames' HMAC, compared in constant time (always true when signing is off). */
  verify(signature: string, frames: Uint8Array[]): boolean;
}

/** A new message; with `parent`, a reply to it (parent header copied, routed back to the parent's identities). */
export function createMessage<C>(
  msgType: string,
  content: C,
  options: { session: string; parent?: JupyterMessage; username?: string; metadata?: Record<string, unknown>; identities?: Buffer[] },
): JupyterMessage<C>;

/** The frames of a message, signed. */
export function encodeMessage(message: JupyterMessage, signer: Signer): Buffer[];

/** A message from its frames; throws WireError when it is malformed or its signature does not match. */
export function decodeMessage(frames: Buffer[], signer: Signer): JupyterMessage;
