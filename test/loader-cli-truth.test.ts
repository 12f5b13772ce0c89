// `run` and `test` tell the truth (ISSUE7 §7): non-XDP sections are refused by name (clang-19
// objects built here), pcapng files and non-Ethernet captures are read or refused by link type,
// programs with global variables run, unknown file kinds and out-of-range verdicts get clear output, and source
// diagnostics carry the line and caret exactly as `build` prints them.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { haveKernel, haveTools } from "./helpers/env.js";
import { cli } from "./helpers/cli.js";
import { frame, pcapFile, pcapngFile } from "./helpers/packets.js";
import { suiteDir } from "./helpers/tmp.js";
import { readPackets } from "../cli/packet-args.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { type Insn, insn } from "../compiler/isa/insn.js";

const C_HEAD = `#define SEC(n) __attribute__((section(n), used))\nchar _license[] SEC("license") = "GPL";\n`;
const C_SOURCES: Record<string, string> = {
  tc: `SEC("tc") int cls(void *ctx) { return 0; }`,
  mixed: `SEC("kprobe/do_nanosleep") int probe(void *ctx) { return 0; }\nSEC("xdp.frags") int xdp_frags_drop(void *ctx) { return 1; }`,
  glob: `const volatile int limit = 3;\nint counter;\nSEC("xdp") int xdp_glob(void *ctx) { counter++; return limit; }`,
};
const PKT = Buffer.from(frame()).toString("hex");
const NOT_XDP =
  "which is not an XDP section: tsebpf loads, runs and attaches XDP programs only (sections xdp, xdp/…, xdp.frags, xdp.frags/…)";

const I = (code: number, dst: number, src: number, off: number, imm: number, target?: string) =>
  insn(code, dst, src, off, imm, { target });
// returns 7 (not an XDP action) when the first byte is 0, else XDP_PASS
const seven: Insn[] = [
  I(0x61, 2, 1, 0, 0),
  I(0x61, 3, 1, 4, 0),
  I(0xbf, 4, 2, 0, 0),
  I(0x07, 4, 0, 0, 1),
  I(0x2d, 4, 3, 0, 0, "pass"),
  I(0x71, 5, 2, 0, 0),
  I(0x55, 5, 0, 0, 0, "pass"),
  I(0xb7, 0, 0, 0, 7),
  I(0x95, 0, 0, 0, 0),
  I(0xb7, 0, 0, 0, 2),
  I(0x95, 0, 0, 0, 0),
];

describe("run/test inputs", () => {
  const f = suiteDir("tsebpf-truth-", (f) => {
    writeFileSync(
      f("bad.ts"),
      `import { XdpContext, XdpAction } from "tsebpf";\nexport function xdp_bad(ctx: XdpContext): XdpAction {\n  return nope;\n}\n`,
    );
    writeFileSync(f("prog.c"), C_HEAD);
    writeFileSync(
      f("seven.o"),
      writeBpfObject({
        license: "GPL",
        maps: [],
        programs: [{ section: "xdp", func: { name: "xdp_seven", insns: seven, labels: new Map([["pass", 9]]) } }],
      }),
    );
    if (haveTools("clang-19"))
      for (const [name, src] of Object.entries(C_SOURCES)) {
        writeFileSync(f(`${name}.c`), C_HEAD + src + "\n");
        execFileSync("clang-19", ["-O2", "-g", "-target", "bpf", "-c", f(`${name}.c`), "-o", f(`${name}.o`)]);
      }
  });

  it("test and run print source diagnostics with the line and caret exactly as build does", async () => {
    const built = await cli("build", f("bad.ts"), "-o", f("bad.o"));
    expect(built.err).toBe(
      `${f("bad.ts")}:3:10: error TS2304: Cannot find name 'nope'.\n  return nope;\n         ^^^^\n`,
    );
    expect((await cli("test", f("bad.ts"), "--packet", PKT)).err).toBe(built.err);
    expect((await cli("run", f("bad.ts"), "-i", "lo")).err).toBe(built.err);
  });

  it("names .o among the accepted inputs for an unknown kind of file", async () => {
    const r = await cli("test", f("prog.c"), "--packet", PKT);
    expect([r.code, r.err]).toEqual([
      1,
      `tsebpf: error: ${f("prog.c")}: unknown program kind (expected .ts for the DSL, .s for assembly, or .o for an ELF object; build C with clang -O2 -target bpf -c first)\n`,
    ]);
  });

  it.skipIf(!haveTools("clang-19"))("refuses programs in non-XDP sections, naming the section", async () => {
    const tc = await cli("test", f("tc.o"), "--packet", PKT);
    expect([tc.code, tc.out, tc.err]).toEqual([1, "", `tsebpf: error: program 'cls' is in section 'tc', ${NOT_XDP}\n`]);
    const kp = await cli("test", f("mixed.o"), "--program", "probe", "--packet", PKT);
    expect(kp.err).toBe(`tsebpf: error: program 'probe' is in section 'kprobe/do_nanosleep', ${NOT_XDP}\n`);
  });

  it.skipIf(!haveTools("clang-19") || !haveKernel)(
    "run refuses a tc program before attaching; xdp.frags runs",
    async () => {
      expect((await cli("run", f("tc.o"), "-i", "lo")).err).toBe(
        `tsebpf: error: program 'cls' is in section 'tc', ${NOT_XDP}\n`,
      );
      const frags = await cli("test", f("mixed.o"), "--packet", PKT);
      expect(frags.err).toBe("");
      expect(frags.out).toMatch(/^packet 1: XDP_DROP /);
    },
  );

  it.skipIf(!haveTools("clang-19") || !haveKernel)("runs programs with global variables (.rodata, .bss)", async () => {
    const r = await cli("test", f("glob.o"), "--packet", PKT);
    expect([r.err, r.out]).toEqual(["", expect.stringMatching(/^packet 1: XDP_TX /)]); // returns limit = 3
  });

  it.skipIf(!haveKernel)("keeps the ns/packet column aligned when a verdict is not an XDP action", async () => {
    const r = await cli("test", f("seven.o"), "--packet", "00".repeat(14), "--packet", "01".repeat(14));
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toMatch(/^packet 1: unknown action 7 \d+ ns\/packet$/);
    expect(lines[1]).toMatch(/^packet 2: XDP_PASS {9}\d+ ns\/packet$/);
    expect(lines[0].search(/\d+ ns/)).toBe(lines[1].search(/\d+ ns/));
  });
});

describe("--packet capture files", () => {
  const pkts = [frame({ src: "198.51.100.3" }), frame({ src: "198.51.100.4", payload: 20 })];
  const f = suiteDir("tsebpf-captures-", (f) => {
    writeFileSync(f("le.pcapng"), pcapngFile(pkts));
    writeFileSync(f("be.pcapng"), pcapngFile(pkts, { bigEndian: true }));
    writeFileSync(f("simple.pcapng"), pcapngFile(pkts, { simple: true, bigEndian: true }));
    writeFileSync(f("cooked.pcap"), pcapFile(pkts, { linkType: 113 }));
    writeFileSync(f("cooked2.pcapng"), pcapngFile(pkts, { linkType: 276 }));
    writeFileSync(f("short.pcap"), pcapFile(pkts, { wireLen: (i) => (i === 1 ? 1514 : pkts[i].length) }));
    writeFileSync(f("be.pcap"), pcapFile(pkts, { bigEndian: true }));
    writeFileSync(f("junk.pcapng"), Buffer.from("0a0d0d0a1c00000000000000", "hex"));
  });
  const hex = (ps: Uint8Array[]) => ps.map((p) => Buffer.from(p).toString("hex"));

  it("reads pcapng Enhanced and Simple Packet Blocks in both byte orders", () => {
    for (const name of ["le.pcapng", "be.pcapng", "simple.pcapng", "be.pcap"])
      expect(hex(readPackets(f(name)))).toEqual(hex(pkts));
  });

  it("refuses captures that are not Ethernet by link type name", () => {
    expect(() => readPackets(f("cooked.pcap"))).toThrow(
      `${f("cooked.pcap")}: linktype 113 (LINUX_SLL) is not Ethernet (at offset 20)`,
    );
    expect(() => readPackets(f("cooked2.pcapng"))).toThrow(
      `${f("cooked2.pcapng")}: linktype 276 (LINUX_SLL2) is not Ethernet`,
    );
    expect(() => readPackets(f("junk.pcapng"))).toThrow(/bad pcapng byte-order magic at offset 8/);
  });

  it("warns when a packet was captured shorter than it was on the wire", () => {
    const warnings: string[] = [];
    expect(readPackets(f("short.pcap"), (w) => warnings.push(w)).length).toBe(2);
    expect(warnings).toEqual([
      `${f("short.pcap")}: packet 2 was captured with ${pkts[1].length} of its 1514 bytes (snapshot length); it runs truncated`,
    ]);
  });

  it.skipIf(!haveKernel)("test runs every packet of a pcapng file, and prints the warning", async () => {
    const fw = await cli(
      "test",
      "programs/firewall.ts",
      "--map",
      "BLOCKLIST",
      "198.51.100.3=1",
      "--packet",
      f("simple.pcapng"),
      f("short.pcap"),
    );
    expect(fw.out).toMatch(
      /^packet 1: XDP_DROP .*\npacket 2: XDP_PASS .*\npacket 3: XDP_DROP .*\npacket 4: XDP_PASS .*\n$/,
    );
    expect(fw.err).toBe(
      `warning: ${f("short.pcap")}: packet 2 was captured with ${pkts[1].length} of its 1514 bytes (snapshot length); it runs truncated\n`,
    );
  });
});
