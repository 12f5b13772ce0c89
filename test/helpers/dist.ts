// The built CLI that e2e, conformance and snapshot tests run: dist/ must exist and be at least as
// new as every source it is built from, or those tests fail with "run npm run build" (a stale
// build used to pass them).
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const SOURCE_DIRS = ["compiler", "loader", "cli"];

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) yield p;
  }
}

/** Why `root`/dist is missing or older than its sources (the first such file), or undefined when it is fresh. */
export function distStaleness(root = ROOT): string | undefined {
  for (const dir of SOURCE_DIRS) {
    if (!existsSync(join(root, dir))) continue;
    for (const src of tsFiles(join(root, dir))) {
      const rel = relative(root, src);
      const out = join(root, "dist", rel.replace(/\.ts$/, ".js"));
      if (!existsSync(out)) return `dist/${relative(join(root, "dist"), out)} is missing`;
      if (statSync(out).mtimeMs < statSync(src).mtimeMs)
        return `${rel} is newer than dist/${relative(join(root, "dist"), out)}`;
    }
  }
  return undefined;
}

/** Throw (failing the test file) when dist/ is missing or stale. */
export function requireFreshDist(): void {
  const why = distStaleness();
  if (why) throw new Error(`the built CLI is stale: ${why}: run \`npm run build\` before the tests`);
}
