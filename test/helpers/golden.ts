// Golden files: takes a path (from the repository root) and the text or bytes a test produced, and
// compares them; a missing golden fails. UPDATE_FIXTURES=1 rewrites the golden first, which is
// refused when CI is set (CI compares goldens, it never regenerates them).
import { expect } from "vitest";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Whether goldens are being rewritten (UPDATE_FIXTURES=1); throws when CI is set too. */
export function updatingGoldens(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.UPDATE_FIXTURES !== "1") return false;
  if (env.CI && env.CI !== "false" && env.CI !== "0")
    throw new Error("UPDATE_FIXTURES=1 is refused when CI is set: CI compares goldens, it never rewrites them");
  return true;
}

/** Expect `actual` to equal the golden file at `path` (rewritten first under UPDATE_FIXTURES=1). */
export function expectGolden(path: string, actual: string | Uint8Array, env: NodeJS.ProcessEnv = process.env): void {
  const file = resolve(ROOT, path);
  if (updatingGoldens(env)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  if (!existsSync(file)) throw new Error(`missing golden ${path} (run with UPDATE_FIXTURES=1 to create it)`);
  const want = readFileSync(file);
  if (typeof actual === "string") expect(actual, path).toBe(want.toString("utf8"));
  else expect(Buffer.from(actual).equals(want), `${path} differs from what the test built`).toBe(true);
}
