// Bad input to `tsebpf run` / `tsebpf test`: each gives one clear line on stderr (the verifier
// adds its log below its summary line) and a non-zero exit, never a stack trace.
import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { requireFreshDist } from "./helpers/dist.js";
import { haveKernel } from "./helpers/env.js";
import { cli, BIN, expectSameTest } from "./helpers/cli.js";
import { suiteDir } from "./helpers/tmp.js";
import { builtinObject } from "../loader/builtin.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";

// These tests run the built CLI (bin/tsebpf.js → dist/): `npm run build` first.
if (haveKernel) requireFreshDist();

describe.skipIf(!haveKernel)("bad input gives one clear line", () => {
  const f = suiteDir("tsebpf-err-", (f) => {
    writeFileSync(f("hello.o"), builtinObject("hello"));
    writeFileSync(f("corrupt.o"), Buffer.from("\x7fELF this is not really an object file, just bytes"));
    writeFileSync(
      f("reject.o"),
      writeBpfObject({
        license: "GPL",
        maps: [],
        programs: [
          {
            section: "xdp/xdp_bad",
            func: { name: "xdp_bad", insns: [{ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }] },
          },
        ],
      }),
    );
  });

  const oneLine = (err: string) => {
    expect(err).not.toMatch(/\n\s+at .*:\d+:\d+/); // no stack trace
    return err.split("\n")[0];
  };

  it("missing interface", async () => {
    const r = await cli("run", f("hello.o"), "--iface", "tsebpf-nope0");
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toBe("tsebpf: error: interface 'tsebpf-nope0' does not exist (see `ip link`)");
  });

  it("missing program", async () => {
    const r = await cli("run", f("nope.o"), "--iface", "lo");
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tsebpf: error: ${f("nope.o")}: no such file or directory\n`);
  });

  it("corrupt program names the offset", async () => {
    const r = await cli("test", f("corrupt.o"), "--packet", "00".repeat(64));
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toMatch(/^tsebpf: error: .*corrupt\.o: not a valid BPF object: .*offset/);
  });

  it("verifier rejection: summary, then the log tail", async () => {
    const r = await cli("test", f("reject.o"), "--packet", "00".repeat(64));
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toBe("tsebpf: error: verifier rejected program 'xdp_bad': R0 !read_ok (EACCES)");
    expect(r.err).toMatch(/verifier log \(last lines\):\n[\s\S]*0: \(95\) exit/);
  });

  it("verifier rejection shows the source line from BTF line info", async () => {
    const span = (line: number) => ({ file: "bad.ts", line, col: 3 });
    writeFileSync(
      f("reject-src.o"),
      writeBpfObject({
        license: "GPL",
        maps: [],
        sources: [
          {
            name: "bad.ts",
            text: "export function xdp_bad(ctx: XdpContext): XdpAction {\n  return undefinedThing;\n}\n",
          },
        ],
        programs: [
          {
            section: "xdp/xdp_bad",
            func: { name: "xdp_bad", insns: [{ code: 0x95, dst: 0, src: 0, off: 0, imm: 0, span: span(2) }] },
          },
        ],
      }),
    );
    const r = await cli("test", f("reject-src.o"), "--packet", "00".repeat(64));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\n  at source: return undefinedThing; @ bad\.ts:2\n/);
  });

  it("bad --block address", async () => {
    const r = await cli("run", f("hello.o"), "--iface", "lo", "--block", "198.51.100.300");
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "tsebpf: error: --block '198.51.100.300': not an IPv4 or IPv6 address or CIDR (e.g. 198.51.100.3, 198.51.100.0/24, 2001:db8::/32)\n",
    );
  });

  it("--block on a program without BLOCKLIST", async () => {
    const r = await cli("run", f("hello.o"), "--iface", "lo", "--block", "198.51.100.3");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^tsebpf: error: --block needs a map named BLOCKLIST, and this program has none \(maps: TSEBPF_LOGS\)\n$/,
    );
  });

  it("unknown --program name", async () => {
    const r = await cli("test", f("hello.o"), "--program", "xdp_nope", "--packet", "00".repeat(20));
    expect(r.code).toBe(1);
    expect(r.err).toBe("tsebpf: error: no program named 'xdp_nope' (have: xdp_hello)\n");
  });

  it("bad packet hex and bad --mode", async () => {
    expect((await cli("test", f("hello.o"), "--packet", "zz")).err).toBe(
      "tsebpf: error: --packet 'zz': neither a file nor an even number of hex digits\n",
    );
    expect((await cli("test", f("hello.o"), "--packet", "0000")).err).toBe(
      "tsebpf: error: packet 1 is 2 byte(s); XDP test runs need at least 14 (an Ethernet header)\n",
    );
    expect((await cli("run", f("hello.o"), "--iface", "lo", "--mode", "fast")).err).toBe(
      "tsebpf: error: --mode 'fast': expected skb, drv or hw\n",
    );
  });

  it("not root: capabilities dropped (run fails with the hint; test runs in the VM with one note)", () => {
    const dropped = (...args: string[]) =>
      spawnSync(
        "setpriv",
        ["--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--", process.execPath, BIN, ...args],
        { encoding: "utf8", timeout: 60000 },
      );
    const r = dropped("run", f("hello.o"), "--iface", "lo");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^tsebpf: error: .*operation not permitted \(EPERM\)\n\s+hint: needs root, or CAP_BPF \+ CAP_NET_ADMIN/,
    );
    expect(r.stderr.trim().split("\n")).toHaveLength(2);
    const t = dropped("test", f("hello.o"), "--packet", "00".repeat(64));
    expect(t.status).toBe(0);
    expect(t.stderr).toMatch(
      /^note: the kernel refused BPF: .*\(EPERM\).*running in the in-process VM instead \(as --vm does\)\n$/,
    );
    expect(t.stdout).toMatch(/^packet 1: XDP_PASS/);
    const kernel = spawnSync(process.execPath, [BIN, "test", f("hello.o"), "--packet", "00".repeat(64)], {
      encoding: "utf8",
    });
    expectSameTest("the VM fallback", t.stdout, kernel.stdout); // and prints what the kernel does
  });

  it("the CLI binary prints no stack trace for an internal-looking failure", () => {
    const r = spawnSync(process.execPath, [BIN, "run", f("corrupt.o"), "--iface", "lo"], {
      encoding: "utf8",
      timeout: 20000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

void execFileSync;
