// Running the CLI in tests: in process through main() with captured output, or the built CLI
// (bin/tsebpf.js over dist/) as a child process through BIN.
import { main } from "../../cli/main.js";
import type { Io } from "../../cli/io.js";

/** Run `tsebpf <argv>` in this process; returns the exit code and what it wrote. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "",
    err = "";
  const io: Io = {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    isTTY: false,
    env: {},
    cwd: process.cwd(),
  };
  const code = await main(argv, io);
  return { code, out, err };
}

/** The built CLI that child processes run (`node BIN …`); run `npm run build` first. */
export const BIN = new URL("../../bin/tsebpf.js", import.meta.url).pathname;
