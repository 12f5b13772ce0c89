#!/usr/bin/env node
// `tsebpf run x.o` started from one script: reads dist/tsebpf-run.bundle.cjs (run's entry and the
// loader as one function, made by scripts/build-snapshot.js; what runs after attaching is in
// dist/tsebpf-run.cold.cjs, read when first needed) and V8's code cache for it (made at
// build time by the same node; V8 rejects another node's and compiles the script as usual),
// evaluates the modules and runs the CLI on the arguments. bin/tsebpf starts it for run of an
// object file when the bundle is as new as dist/.
"use strict";
const { closeSync, openSync, readSync } = require("node:fs");
const { Script } = require("node:vm");

const root = __dirname.slice(0, __dirname.lastIndexOf("/")); // __dirname is absolute and resolved
const file = `${root}/dist/tsebpf-run.bundle.cjs`;
// A script's source and then its cache are read into one buffer: every fresh page of memory costs
// a page fault (≈ 10 µs each on the CI machine's kind), and V8 is done with the cache once it has
// compiled. Sized for both (pages never written cost nothing) and read to the end: no fstat (¼ ms
// for two). The cold script reuses it.
let buf = Buffer.allocUnsafeSlow(1 << 19);
const bundle = compile(file);
process.argv.splice(1, 1); // the CLI reads process.argv.slice(1), as from a snapshot
bundle(require, root, "main", {
  // the modules run evaluates after attaching (or on rarer paths), compiled when first needed
  coldFile: `${root}/dist/tsebpf-run.cold.cjs`,
  compile,
  // what the bundle leaves out (the full CLI, for anything but a plain `run`) is imported from dist/
  runtimeImport: (url) => import(url),
});

/** The value of the script `file`, compiled with V8's code cache beside it (`file.cache`) if any. */
function compile(file) {
  const source = buf.latin1Slice(0, readAll(openSync(file, "r")));
  const cache = openOrNull(`${file}.cache`);
  const cachedData = cache === null ? undefined : buf.subarray(0, readAll(cache));
  return new Script(source, { filename: file, cachedData }).runInThisContext();
}

function openOrNull(path) {
  try {
    return openSync(path, "r");
  } catch {
    return null; // no cache: compiled as it runs
  }
}

/** Reads the file open on `fd` into buf (grown if it must) from its start, and closes it. */
function readAll(fd) {
  let n = 0;
  for (let got = -1; got !== 0; n += got) {
    if (n === buf.length) buf = Buffer.concat([buf], buf.length * 2);
    got = readSync(fd, buf, n, buf.length - n, null);
  }
  closeSync(fd);
  return n;
}
