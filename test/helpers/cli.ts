// Running the CLI in tests: in process through main() with captured output, or the built CLI
// (bin/tsebpf.js over dist/) as a child process through BIN.
import { main } from "../../cli/main.js";
import type { Io } from "../../cli/io.js";

/** An Io whose output collects in `o.out` / `o.err` as the command runs. */
export function captureIo(
  env: Record<string, string> = {},
  cwd = process.cwd(),
): { io: Io; o: { out: string; err: string } } {
  const o = { out: "", err: "" };
  const io: Io = {
    stdout: (s) => void (o.out += s),
    stderr: (s) => void (o.err += s),
    isTTY: false,
    env,
    cwd,
  };
  return { io, o };
}

/** Run `tsebpf <argv>` in this process; returns the exit code and what it wrote. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { io, o } = captureIo();
  const code = await main(argv, io);
  return { code, ...o };
}

/** The built CLI that child processes run (`node BIN …`); run `npm run build` first. */
export const BIN = new URL("../../bin/tsebpf.js", import.meta.url).pathname;
