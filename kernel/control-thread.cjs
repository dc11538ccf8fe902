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
const zmq = require(workerData.zeromqPath);
const { Signer, createMessage, decodeMessage, encodeMessage } = require("../src/jupyter/wire.js");

const INTERRUPT_GRACE_MS = workerData.interruptGraceMs;
const signer = new Signer(workerData.key, workerData.scheme);
const control = new zmq.Router({ linger: 0 });
const heartbeat = new zmq.Router({ linger: 0 });
let mainBusy = false;
let watchdog;

/** The message, or undefined (logged) when its signature or header is bad. */
function verified(frames) {
  try {
    return decodeMessage(frames, signer);
  } catch (error) {
    log(`control: dropped a message: ${error.message}`);
    return undefined;
  }
}

// straight to fd 2: a worker's process.stderr is relayed by the main thread, which may be the one stuck
function log(message) {
  writeSync(2, `[skipbook kernel] ${message}\n`);
}

async function sendInterruptReply(request) {
  await control.send(encodeMessage(createMessage("interrupt_reply", { status: "ok" }, { session: workerData.session, parent: request }), signer));
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
    if (!message) continue;
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

// zeromq v6 allows one send at a time; replies go out in order, and closing waits for the last (a shutdown_reply)
let sending = Promise.resolve();

parentPort.on("message", (message) => {
  if (message.type === "send") {
    const frames = message.frames.map((frame) => Buffer.from(frame));
    sending = sending.then(() => control.send(frames)).catch((error) => log(`control: send failed: ${error.message}`));
  } else if (message.type === "busy") {
    mainBusy = message.busy;
    if (!mainBusy && watchdog) {
      clearTimeout(watchdog);
      watchdog = undefined;
    }
  } else if (message.type === "close") {
    // Sockets must be closed here, by this thread, before the process ends: a worker torn down with open zeromq
    // sockets aborts the whole process (SIGABRT) instead of letting it exit with its code. `done` is a shared flag
    // the main thread may be blocked on (Atomics.wait) inside process.exit.
    const finish = () => {
      if (watchdog) clearTimeout(watchdog);
      control.close();
      heartbeat.close();
      Atomics.store(message.done, 0, 1);
      Atomics.notify(message.done, 0);
      parentPort.close();
    };
    const flushMs = message.flushMs ?? 0;
    if (flushMs > 0) Promise.race([sending, new Promise((done) => setTimeout(done, flushMs))]).then(finish);
    else finish();
  }
});

// The parent watch (ipykernel's ParentPoller): a front end or runner that dies without a shutdown_request, even by
// SIGKILL, must not leave its kernel behind. Done here because a busy cell blocks the main thread.
const PARENT_PID = Number(workerData.parentPid);
if (Number.isInteger(PARENT_PID) && PARENT_PID > 1) {
  const startPpid = process.ppid;
  setInterval(() => {
    let gone = process.ppid !== startPpid && process.ppid === 1;
    try {
      process.kill(PARENT_PID, 0);
    } catch (error) {
      if (error.code === "ESRCH") gone = true;
    }
    if (!gone) return;
    log(`parent process ${PARENT_PID} (JPY_PARENT_PID) is gone; ending the kernel`);
    process.kill(process.pid, "SIGTERM");
  }, workerData.parentPollMs ?? 1000).unref();
}

Promise.all([control.bind(workerData.controlEndpoint), heartbeat.bind(workerData.hbEndpoint)]).then(
  () => {
    parentPort.postMessage({ type: "bound" });
    serveControl().catch(() => {});
    serveHeartbeat().catch(() => {});
  },
  (error) => parentPort.postMessage({ type: "error", message: error.message }),
);
