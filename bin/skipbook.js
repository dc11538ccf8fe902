#!/usr/bin/env node
// `npx skipbook run ...`: registers tsx so the TypeScript runner runs without a build step, then hands over.
"use strict";
require("tsx/cjs");
const { main } = require("../src/runner/cli.ts");
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`skipbook: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  },
);
