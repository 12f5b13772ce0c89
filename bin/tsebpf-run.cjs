#!/usr/bin/env node
// `tsebpf run x.o` started from one script: reads dist/tsebpf-run.bundle.cjs (run's entry and the
// loader as one function, made by scripts/build-snapshot.js; what runs after attaching is in
// dist/tsebpf-run.cold.cjs, read when first needed) and V8's code cache for it (made at
// build time by the same node; V8 rejects another node's and compiles the script as usual),
// evaluates the modules and runs the CLI on the arguments. bin/tsebpf starts it for run of an
// object file when the bundle is as new as dist/.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { Script } = require("node:vm");

const root = join(__dirname, "..");
const file = join(root, "dist/tsebpf-run.bundle.cjs");
let cachedData;
try {
  cachedData = readFileSync(`${file}.cache`);
} catch {
  // no cache: compiled as it runs
}
const bundle = new Script(readFileSync(file, "latin1"), { filename: file, cachedData }).runInThisContext();
process.argv.splice(1, 1); // the CLI reads process.argv.slice(1), as from a snapshot
bundle(require, root, "main", {
  // the modules run evaluates after attaching (or on rarer paths), compiled when first needed
  coldFile: join(root, "dist/tsebpf-run.cold.cjs"),
  // what the bundle leaves out (the full CLI, for anything but a plain `run`) is imported from dist/
  runtimeImport: (url) => import(url),
});
