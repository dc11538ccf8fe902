// Atomic file writes: a reader (or a crash) sees the old file or the new one, never a truncated one.
// Plain CommonJS on purpose, with its types in atomic-write.d.ts: set-up scripts run it with bare Node before
// node_modules exists, and the kernel's .cjs entries cannot import TypeScript.
"use strict";
const { randomBytes } = require("node:crypto");
const { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } = require("node:fs");
const { basename, dirname, join } = require("node:path");

function writeFileAtomic(path, data, options = {}) {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // a hidden name in the same folder: rename() is atomic only within one file system
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(temp, "w", options.mode ?? 0o644);
    try {
      writeFileSync(fd, data); // all of it: a single write() may be partial
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.mode !== undefined) chmodSync(temp, options.mode); // open()'s mode is masked by the umask
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

exports.writeFileAtomic = writeFileAtomic;
