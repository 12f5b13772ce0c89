#!/usr/bin/env node
// `npm run bench`: runs every bench/*.js (except this one) in turn; each prints its own table of
// medians and ratios against the reference tool measured in the same run. `npm run bench -- asm`
// runs only the benches whose file name contains "asm".
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? "";
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".js") && f !== "run.js" && !f.startsWith("_") && f.includes(filter))
  .sort();
let failed = 0;
for (const b of benches) {
  console.log(`\n== bench/${b} ==`);
  const r = spawnSync(process.execPath, [join(here, b)], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
