// Running the CLI in tests: in process through main() with captured output (a `tsebpf test` in the
// kernel also runs in the VM and must print the same), or the built CLI (bin/tsebpf.js over dist/)
// as a child process through BIN (withVm and expectSameTest compare such a child's kernel run).
import { main } from "../../cli/main.js";
import type { Io } from "../../cli/io.js";
import type { ChildProcess } from "node:child_process";
import { expect } from "vitest";
import { haveKernel } from "./env.js";
import { twinCounts } from "./twin-counts.js";

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

/** Run `tsebpf <argv>` in this process; returns the exit code and what it wrote. A `tsebpf test`
 *  that ran in the kernel runs again with --vm and must print the same (issue 11 §4). */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await inProcess(argv);
  if (argv[0] === "test" && !argv.includes("--vm") && r.code === 0 && haveKernel) await sameInVm(argv, r.out);
  return r;
}

async function inProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { io, o } = captureIo();
  const code = await main(argv, io);
  return { code, ...o };
}

/** `tsebpf test … --vm` prints what the kernel run printed, timings and engine aside; a run the VM
 *  refuses (multi-buffer packets) counts as kernel-only. */
async function sameInVm(argv: string[], kernelOut: string): Promise<void> {
  const vm = await inProcess(withVm(argv));
  if (vm.code !== 0) return void twinCounts.kernelOnly++;
  expectSameTest(`tsebpf ${argv.join(" ")} --vm`, vm.out, kernelOut);
}

/** The arguments of a `tsebpf test` with --vm added after "test" (wherever "test" stands). */
export function withVm(argv: string[]): string[] {
  const at = argv.indexOf("test");
  return [...argv.slice(0, at + 1), "--vm", ...argv.slice(at + 1)];
}

/** The VM's `tsebpf test` output is the kernel's, timings and engine aside (issue 11 §4). */
export function expectSameTest(what: string, vmOut: string, kernelOut: string): void {
  const plain = (out: string) =>
    out
      .replace(/\d+(\.\d+)? ns\/packet/g, "ns/packet")
      .replace(/"nsPerPacket": [\d.]+/g, '"nsPerPacket"')
      .replace(/"engine": "\w+"/g, '"engine"');
  expect(plain(vmOut), what).toBe(plain(kernelOut));
  twinCounts.compared++;
}

/** The built CLI that child processes run (`node BIN …`); run `npm run build` first. */
export const BIN = new URL("../../bin/tsebpf.js", import.meta.url).pathname;

/** A `tsebpf run` child process: its output so far, and `attached`, which settles once it printed
 * "Waiting for Ctrl-C…" (it attached) and fails if it exits first or within `ms` did not. */
export function watchRun(
  c: ChildProcess,
  ms = 20_000,
): { out: () => string; err: () => string; attached: Promise<void> } {
  let out = "",
    err = "";
  c.stderr!.on("data", (d) => (err += d));
  const attached = new Promise<void>((done, failed) => {
    const t = setTimeout(() => failed(new Error(`not attached in ${ms / 1000} s: ${err}`)), ms);
    c.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("Waiting for Ctrl-C")) done(clearTimeout(t));
    });
    c.on("exit", () => failed(new Error(`exited: ${err}`)));
  });
  return { out: () => out, err: () => err, attached };
}
