// Running the CLI in tests: in process through main() with captured output, and a per-suite
// temporary directory for the files a command reads.
import { afterAll, beforeAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../cli/main.js";
import type { Io } from "../../cli/io.js";

/** Run `tsebpf <argv>` in this process; returns the exit code and what it wrote. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false, env: {}, cwd: process.cwd() };
  const code = await main(argv, io);
  return { code, out, err };
}

/**
 * Inside a describe(): a directory made (and filled by `fill`) before the suite's tests and removed
 * after them, also after a failure. Returns name → path inside it.
 */
export function suiteDir(prefix: string, fill: (f: (name: string) => string) => void): (name: string) => string {
  let dir = "";
  const f = (n: string): string => join(dir, n);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    fill(f);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return f;
}
