#!/usr/bin/env node
// Thin shim: run the compiled CLI (npm install builds dist/ through `prepare`).
import { main } from "../dist/cli/main.js";
import { processIo } from "../dist/cli/io.js";

const code = await main(process.argv.slice(2), processIo());
process.exitCode = code;
