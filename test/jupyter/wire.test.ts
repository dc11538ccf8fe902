// Wire protocol: frames round-trip, signatures are Jupyter's (HMAC-SHA256 over the four JSON frames), tampering is caught.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { endpoint, freeLoopbackPorts, newConnectionInfo, readConnectionFile, writeConnectionFile } from "../../src/jupyter/connection";
import { createMessage, decodeMessage, encodeMessage, Signer, WireError } from "../../src/jupyter/wire";

const scratch = mkdtempSync(join(tmpdir(), "skipbook-wire-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("a message survives encode/decode with identities and buffers, signed as Jupyter signs", () => {
  const signer = new Signer("secret");
  const request = createMessage("execute_request", { code: "1" }, { session: "s1", identities: [Buffer.from("peer")] });
  const reply = createMessage("execute_reply", { status: "ok" }, { session: "s2", parent: request });
  reply.buffers = [Buffer.from([1, 2, 3])];
  const frames = encodeMessage(reply, signer);
  assert.equal(frames[0].toString(), "peer");
  assert.equal(frames[1].toString(), "<IDS|MSG>");
  const expected = createHmac("sha256", "secret").update(frames[3]).update(frames[4]).update(frames[5]).update(frames[6]).digest("hex");
  assert.equal(frames[2].toString(), expected);
  const decoded = decodeMessage(frames, signer);
  assert.deepEqual(decoded.content, { status: "ok" });
  assert.equal(decoded.parent_header.msg_id, request.header.msg_id);
  assert.equal(decoded.header.version, "5.3");
  assert.deepEqual(decoded.buffers, [Buffer.from([1, 2, 3])]);
});

test("a wrong key, a tampered frame, a missing delimiter or bad JSON is a WireError", () => {
  const frames = encodeMessage(createMessage("status", { execution_state: "idle" }, { session: "s" }), new Signer("k1"));
  assert.throws(() => decodeMessage(frames, new Signer("k2")), WireError);
  const tampered = [...frames];
  tampered[5] = Buffer.from('{"execution_state":"busy"}');
  assert.throws(() => decodeMessage(tampered, new Signer("k1")), /signature does not match/);
  assert.throws(() => decodeMessage(frames.slice(1), new Signer("k1")), /no <IDS\|MSG> delimiter/);
  const garbage = [Buffer.from("<IDS|MSG>"), Buffer.from(""), Buffer.from("{"), Buffer.from("{}"), Buffer.from("{}"), Buffer.from("{}")];
  assert.throws(() => decodeMessage(garbage, new Signer("")), /header is not valid JSON/);
  assert.equal(new Signer("").sign([Buffer.from("x")]), "", "an empty key disables signing");
});

test("connection files: fresh loopback ports, written 0600 atomically, read back with clear errors", async () => {
  const ports = await freeLoopbackPorts(5);
  assert.equal(new Set(ports).size, 5);
  const info = await newConnectionInfo();
  assert.equal(info.key.length, 64);
  const path = join(scratch, "kernel.json");
  writeConnectionFile(info, path);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readConnectionFile(path), info);
  assert.equal(endpoint(info, "hb"), `tcp://127.0.0.1:${info.hb_port}`);
  writeFileSync(join(scratch, "bad.json"), '{"ip": "127.0.0.1"}');
  assert.throws(() => readConnectionFile(join(scratch, "bad.json")), /lacks shell_port, iopub_port, stdin_port, control_port, hb_port, key/);
  writeFileSync(join(scratch, "notjson.json"), "{");
  assert.throws(() => readConnectionFile(join(scratch, "notjson.json")), /is not valid JSON/);
  assert.throws(() => readConnectionFile(join(scratch, "missing.json")), /cannot be read/);
});
