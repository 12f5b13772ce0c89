// `tsebpf run` in-process (runProgram with a stop promise instead of a signal): pins, log level
// filtering by --log-level and TSEBPF_LOG, detaching on stop. Records are produced by test-running
// the pinned program, so no traffic is needed (the veth stays down).
import { describe, expect, it } from "vitest";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haveKernel } from "./helpers/env.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { suiteVeth } from "./helpers/veth.js";
import { suiteDir } from "./helpers/tmp.js";
import { captureIo } from "./helpers/cli.js";
import { pinnedTestRun } from "./helpers/twin.js";
import { runProgram } from "../cli/commands/run-program.js";
import { builtinObject } from "../loader/builtin.js";
import { objGet, progInfo } from "../loader/sys/bpf.js";
import { closeFd } from "../loader/sys/libc.js";
import { resolveIface, xdpState } from "../loader/attach.js";

const tag = Math.random().toString(36).slice(2, 7);

const io = captureIo;

async function until(cond: () => boolean, ms = 5000) {
  for (const t0 = Date.now(); !cond(); ) {
    if (Date.now() - t0 > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(!haveKernel)("tsebpf run in-process", () => {
  const bpffs = suiteBpffs(); // pins go to a private bpffs: never depends on /sys/fs/bpf
  const { host: a } = suiteVeth(`i${tag}`);
  const pinDir = () => join(bpffs(), `tsebpf-t-${tag}`);
  const file = suiteDir("tsebpf-runip-", (f) => writeFileSync(f("hello.o"), builtinObject("hello")));

  async function session(args: { logLevel?: string; env?: Record<string, string>; pin?: string }, runs: number) {
    const { io: cio, o } = io(args.env);
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const done = runProgram(
      file("hello.o"),
      { iface: a, mode: "skb", logLevel: args.logLevel, pin: args.pin ?? pinDir() },
      cio,
      stopped,
    );
    await until(() => existsSync(join(args.pin ?? pinDir(), "xdp_hello")) && xdpState(resolveIface(a)).progId > 0);
    const fd = objGet(join(args.pin ?? pinDir(), "xdp_hello"));
    const id = progInfo(fd).id;
    pinnedTestRun(file("hello.o"), args.pin ?? pinDir(), "xdp_hello", new Uint8Array(64), { repeat: runs, live: true });
    closeFd(fd);
    await new Promise((r) => setTimeout(r, 80)); // a few log poll intervals
    stop();
    const code = await done;
    return { code, o, id };
  }

  it("pins program and maps, prints logs at info, detaches on stop, keeps the pins", async () => {
    const { code, o, id } = await session({}, 3);
    expect(code).toBe(0);
    expect(id).toBeGreaterThan(0);
    const lines = o.out.trim().split("\n");
    expect(lines[0]).toMatch(/INFO  xdp_hello\] Waiting for Ctrl-C\.\.\.$/);
    expect(lines.filter((l) => l.endsWith("] received a packet"))).toHaveLength(3);
    expect(lines.at(-1)).toMatch(/Exiting\.\.\.$/);
    expect(xdpState(resolveIface(a)).progId).toBe(0);
    expect(existsSync(join(pinDir(), "BLOCKLIST"))).toBe(false);
    expect(existsSync(join(pinDir(), "TSEBPF_LOGS"))).toBe(true);
    rmSync(pinDir(), { recursive: true, force: true });
  });

  it("TSEBPF_LOG=warn hides info records; --log-level debug overrides it", async () => {
    const quiet = await session({ env: { TSEBPF_LOG: "warn" } }, 2);
    expect(quiet.o.out).toBe("");
    rmSync(pinDir(), { recursive: true, force: true });
    const loud = await session({ env: { TSEBPF_LOG: "warn" }, logLevel: "debug" }, 2);
    expect(loud.o.out.match(/received a packet/g)).toHaveLength(2);
    rmSync(pinDir(), { recursive: true, force: true });
  });

  it("rejects an unknown log level", async () => {
    const { io: cio } = io({ TSEBPF_LOG: "loud" });
    await expect(runProgram(file("hello.o"), { iface: a }, cio)).rejects.toThrow(
      "TSEBPF_LOG: unknown log level 'loud' (expected error, warn, info, debug, trace or off)",
    );
  });
});
