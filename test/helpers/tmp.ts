// Temporary directories for tests: takes a name prefix, produces a fresh directory under the OS
// temporary directory, removed after the suite (suiteDir, inside a describe) or after the callback
// (withTempDir), also after a failure. Made lazily, so a skipped suite leaves nothing behind.
import { afterAll, beforeAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Inside a describe(): a directory made (and filled by `fill`) before the suite's tests and removed
 * after them. Returns name → path inside it (`f(".")` is the directory itself).
 */
export function suiteDir(prefix: string, fill?: (f: (name: string) => string) => void): (name: string) => string {
  let dir = "";
  const f = (n: string): string => {
    if (!dir) throw new Error(`suiteDir(${prefix}): used outside its suite's tests`);
    return join(dir, n);
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    fill?.(f);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return f;
}

/** Run `fn` with a fresh directory, removed when `fn` returns or throws (also for a promise). */
export function withTempDir<T>(prefix: string, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let result: T;
  try {
    result = fn(dir);
  } catch (e) {
    remove();
    throw e;
  }
  if (result instanceof Promise) return result.finally(remove) as T;
  remove();
  return result;
}
