// Logs under load (issue 7 §5): the program counts the records the ring buffer could not take
// (TSEBPF_DROPS), `run` reports them every second and at the end, a stdout that stops reading
// never makes the backlog grow without limit nor keeps `run` alive after SIGINT, and the format
// table is interned in linear time with a diagnostic past the 16-bit format id.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haveKernel } from "./helpers/env.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { suiteVeth } from "./helpers/veth.js";
import { buildProgram, compileDsl } from "./helpers/dsl.js";
import { drainRing } from "./helpers/run.js";
import { suiteDir } from "./helpers/tmp.js";
import { BIN, captureIo } from "./helpers/cli.js";
import { pinnedTestRun, testRunChecked } from "./helpers/twin.js";
import { loadObject } from "../loader/object.js";
import { lostRecords } from "../loader/log-pump.js";
import { runProgram } from "../cli/commands/run-program.js";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { checkProgram } from "../compiler/dsl/check/checker.js";
import { Lowerer, LowerError } from "../compiler/dsl/lower/lower.js";
import { MAX_LOG_FORMATS } from "../compiler/log-record.js";

const N = 200_000;
const tag = Math.random().toString(36).slice(2, 7);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sumLost = (err: string) =>
  [...err.matchAll(/^tsebpf: warning: (\d+) log records lost/gm)].reduce((n, m) => n + Number(m[1]), 0);

describe.skipIf(!haveKernel)("logs under load (kernel)", () => {
  const bpffs = suiteBpffs();
  const { host: a } = suiteVeth(`g${tag}`);
  const file = suiteDir("tsebpf-logload-", (f) => writeFileSync(f("hello.o"), buildProgram("hello")));

  it("every record is either in the ring or counted in TSEBPF_DROPS", () => {
    const obj = loadObject(buildProgram("hello"));
    try {
      testRunChecked(obj, new Uint8Array(64), { repeat: N });
      let read = 0;
      drainRing(obj, "TSEBPF_LOGS", () => read++);
      const lost = Number(lostRecords(obj.map("TSEBPF_DROPS")!));
      console.log(`log drops: ${N} records, ${read} read, ${lost} counted lost`);
      expect(lost).toBeGreaterThan(0);
      expect(read + lost).toBe(N);
    } finally {
      obj.close();
    }
  });

  it("run reports the lost records within a second, and printed + lost adds up", async () => {
    const { io, o } = captureIo({}, file("."));
    let stop!: () => void;
    const pin = join(bpffs(), "inproc");
    const done = runProgram(file("hello.o"), { iface: a, mode: "skb", pin }, io, new Promise<void>((r) => (stop = r)));
    for (const t0 = Date.now(); !existsSync(join(pin, "xdp_hello")) && Date.now() - t0 < 10_000; ) await sleep(10);
    // one syscall: the reader cannot keep up
    pinnedTestRun(file("hello.o"), pin, "xdp_hello", new Uint8Array(64), { repeat: N, live: true });
    await sleep(1300);
    const early = sumLost(o.err);
    stop();
    expect(await done).toBe(0);
    const printed = o.out.split("\n").filter((l) => l.endsWith("] received a packet")).length;
    expect(early).toBeGreaterThan(0);
    expect(printed + sumLost(o.err)).toBe(N);
    rmSync(pin, { recursive: true, force: true });
  });

  it("a stdout that stops reading: bounded backlog, lines counted, exit within 1 s of SIGINT", async () => {
    const pin = join(bpffs(), "slow");
    const c = spawn(process.execPath, [BIN, "run", file("hello.o"), "-i", a, "--mode", "skb", "--pin", pin], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    c.stdout!.pause(); // never read: the pipe fills, then node queues
    let err = "";
    c.stderr!.on("data", (d) => (err += d));
    try {
      for (const t0 = Date.now(); !existsSync(join(pin, "xdp_hello")) && Date.now() - t0 < 20_000; ) await sleep(20);
      for (const t0 = Date.now(); Date.now() - t0 < 3000; await sleep(20))
        pinnedTestRun(file("hello.o"), pin, "xdp_hello", new Uint8Array(64), { repeat: 20_000, live: true });
      await sleep(1100);
      const rssMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c.pid}/status`, "utf8"))![1]) / 1024;
      const t0 = Date.now();
      c.kill("SIGINT");
      const code = await new Promise((r) => c.on("exit", r));
      const ms = Date.now() - t0;
      console.log(`slow stdout: rss ${rssMb.toFixed(0)} MB, exit ${ms} ms after SIGINT`);
      expect(code).toBe(0);
      expect(err).toMatch(/^tsebpf: warning: \d+ log lines not printed \(stdout is not keeping up\)$/m);
      expect(rssMb).toBeLessThan(300);
      expect(ms).toBeLessThan(1000);
    } finally {
      c.kill("SIGKILL");
      rmSync(pin, { recursive: true, force: true });
    }
  });
});

describe("log format table", () => {
  const logs = (n: number) => `import { XdpContext, XdpAction, info } from "tsebpf";
export function xdp_many(ctx: XdpContext): XdpAction {
${Array.from({ length: n }, (_, i) => `  info("message ${i}");`).join("\n")}
  return XdpAction.Pass;
}
`;

  // 5,000: each log call is about three blocks, and one function may have 16,384 (TSB9506)
  it("5,000 log calls compile in a few seconds (interning is linear)", () => {
    const t0 = process.cpuUsage();
    const obj = compileDsl(logs(5_000), "many.ts");
    const cpu = process.cpuUsage(t0);
    const s = (cpu.user + cpu.system) / 1e6;
    console.log(`log formats: 5000 log calls compiled in ${s.toFixed(1)} s of CPU, ${obj.length} bytes`);
    expect(s).toBeLessThan(20);
  }, 180_000);

  function lowerWith(prefilled: number): () => void {
    const parsed = parseProgram(logs(1), "one.ts");
    const prog = checkProgram(parsed.ast).program!.programs[0]!;
    const logFormats = Array.from({ length: prefilled }, (_, i) => ({
      program: "other",
      level: 3,
      pieces: [`m${i}`],
      args: [],
    }));
    return () => void new Lowerer(prog, { maps: new Map(), logFormats, usesLogs: false }).lowerProgram();
  }

  it("more formats than the 16-bit id holds is a diagnostic at the log call", () => {
    expect(lowerWith(MAX_LOG_FORMATS - 1)).not.toThrow();
    try {
      lowerWith(MAX_LOG_FORMATS)();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LowerError);
      const d = (e as LowerError).diag;
      expect(d.code).toBe("TSB9540");
      expect(d.message).toBe(
        "more than 65536 different log messages in one object: a log record names its format with 16 bits",
      );
      expect(d.span?.line).toBe(3);
    }
  });
});
