// The static import graph of our sources, for tests that keep a module light: takes entry .ts
// files, follows relative imports (.js → .ts) and calls check(file, spec, typeOnly) for each.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Every file reached from entries (type-only imports are followed too unless skipTypes). */
export function importGraph(
  entries: string[],
  check: (file: string, spec: string) => void,
  skipTypes = false,
): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(/^\s*(?:import|export)(\s+type)?[^;]*?from\s+"([^"]+)"/gm)) {
      if (m[1] && skipTypes) continue;
      check(file, m[2]);
      if (m[2].startsWith(".")) walk(join(file, "..", m[2]).replace(/\.js$/, ".ts"));
    }
  };
  for (const e of entries) walk(e);
  return seen;
}
