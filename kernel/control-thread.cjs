/**
 * The kernel's second thread: heartbeat and the control channel. A cell runs on the main thread, so a busy cell
 * (`while (true) {}`) would starve these; here they stay responsive. interrupt_request is answered here: it
 * raises SIGINT in this process, which stops synchronous cell code (vm `breakOnSigint`) and rejects an awaiting
 * one. If the main thread is still busy `INTERRUPT_GRACE_MS` later (code the engine cannot stop, e.g. a loop
 * after an `await`), the kernel says so on stderr and ends itself, and the front end's restarter starts a
 * clean one. Every other control message is passed to the main thread, which sends the reply through us.
 *
 * Plain JavaScript on purpose: a worker starts without the TypeScript loader.
 */
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const { createHmac, randomUUID, timingSafeEqual } = require("node:crypto");
const zmq = require(workerData.zeromqPath);

const DELIMITER = Buffer.from("<IDS|MSG>");
const INTERRUPT_GRACE_MS = workerData.interruptGraceMs;
const algorithm = workerData.key ? workerData.scheme.replace(/^hmac-/, "") : undefined;
const control = new zmq.Router({ linger: 0 });
const heartbeat = new zmq.Router({ linger: 0 });
let mainBusy = false;
let watchdog;

function sign(parts) {
  if (!algorithm) return "";
  const hmac = createHmac(algorithm, workerData.key);
  for (const part of parts) hmac.update(part);
  return hmac.digest("hex");
}

function verified(frames) {
  const at = frames.findIndex((frame) => Buffer.from(frame).equals(DELIMITER));
  if (at < 0 || frames.length < at + 6) return undefined;
  const parts = frames.slice(at + 2, at + 6).map((frame) => Buffer.from(frame));
  const expected = Buffer.from(sign(parts));
  const given = Buffer.from(frames[at + 1]);
  if (algorithm && (expected.length !== given.length || !timingSafeEqual(expected, given))) return undefined;
  try {
    return { identities: frames.slice(0, at), header: JSON.parse(parts[0].toString("utf8")) };
  } catch {
    return undefined;
  }
}

// straight to fd 2: a worker's process.stderr is relayed by the main thread, which may be the one stuck
function log(message) {
  writeSync(2, `[skipbook kernel] ${message}\n`);
}

async function sendInterruptReply(request) {
  const header = { msg_id: randomUUID(), session: workerData.session, username: "skipbook", date: new Date().toISOString(), msg_type: "interrupt_reply", version: "5.3" };
  const parts = [header, request.header, {}, { status: "ok" }].map((part) => Buffer.from(JSON.stringify(part)));
  await control.send([...request.identities, DELIMITER, Buffer.from(sign(parts)), ...parts]);
}

function interrupt() {
  process.kill(process.pid, "SIGINT");
  if (!mainBusy || watchdog) return;
  watchdog = setTimeout(() => {
    watchdog = undefined;
    if (!mainBusy) return;
    log(`the running cell did not stop within ${INTERRUPT_GRACE_MS} ms of an interrupt (code the engine cannot break, e.g. a loop after an await); ending the kernel so the front end restarts a clean one`);
    process.kill(process.pid, "SIGTERM");
  }, INTERRUPT_GRACE_MS);
}

async function serveControl() {
  for await (const frames of control) {
    const message = verified(frames);
    if (!message) {
      log("control: dropped a message with a bad signature or no valid header");
      continue;
    }
    if (message.header.msg_type === "interrupt_request") {
      interrupt();
      await sendInterruptReply(message);
    } else {
      parentPort.postMessage({ type: "control", frames });
    }
  }
}

async function serveHeartbeat() {
  for await (const frames of heartbeat) await heartbeat.send(frames);
}

parentPort.on("message", (message) => {
  if (message.type === "send") void control.send(message.frames.map((frame) => Buffer.from(frame)));
  else if (message.type === "busy") {
    mainBusy = message.busy;
    if (!mainBusy && watchdog) {
      clearTimeout(watchdog);
      watchdog = undefined;
    }
  } else if (message.type === "close") {
    control.close();
    heartbeat.close();
    parentPort.close();
  }
});

Promise.all([control.bind(workerData.controlEndpoint), heartbeat.bind(workerData.hbEndpoint)]).then(
  () => {
    parentPort.postMessage({ type: "bound" });
    serveControl().catch(() => {});
    serveHeartbeat().catch(() => {});
  },
  (error) => parentPort.postMessage({ type: "error", message: error.message }),
);
