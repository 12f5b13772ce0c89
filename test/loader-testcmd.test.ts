// `tsebpf test`: verdicts by XDP action name, ns/packet, output packet when changed, --json,
// --map entries (an entry without a value says so), pcap and raw packet files — in the kernel and,
// the same, in the VM (--vm); the VM's own messages (a fault, a map type it does not model).
import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { haveKernel } from "./helpers/env.js";
import { cli as run } from "./helpers/cli.js";
import { pcapFile } from "./helpers/packets.js";
import { suiteDir } from "./helpers/tmp.js";
import { builtinObject } from "../loader/builtin.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { type Insn, insn } from "../compiler/isa/insn.js";

function udp(src: number[]): Buffer {
  const p = Buffer.alloc(42);
  p.set([0x08, 0x00], 12);
  p[14] = 0x45;
  p.set(src, 26);
  p.set([198, 51, 100, 1], 30);
  return p;
}

// swaps nothing, just writes 0xff into the first byte and returns XDP_TX
const I = (code: number, dst: number, src: number, off: number, imm: number, target?: string) =>
  insn(code, dst, src, off, imm, { target });
const writer: Insn[] = [
  I(0x61, 2, 1, 0, 0),
  I(0x61, 3, 1, 4, 0),
  I(0xbf, 4, 2, 0, 0),
  I(0x07, 4, 0, 0, 1),
  I(0x2d, 4, 3, 0, 0, "out"),
  I(0x72, 2, 0, 0, 0xff),
  I(0xb7, 0, 0, 0, 3),
  I(0x95, 0, 0, 0, 0),
  I(0xb7, 0, 0, 0, 2),
  I(0x95, 0, 0, 0, 0),
];

describe.each([
  ["kernel", []],
  ["vm", ["--vm"]],
] as const)("tsebpf test (%s)", (engine, flags) => {
  const cli = (...argv: string[]) => run(...argv, ...flags);
  if (engine === "kernel" && !haveKernel) return void it.skip("needs the kernel");
  const f = suiteDir("tsebpf-testcmd-", (f) => {
    writeFileSync(f("fw.o"), builtinObject("firewall"));
    writeFileSync(
      f("tx.o"),
      writeBpfObject({
        license: "GPL",
        maps: [],
        programs: [{ section: "xdp/xdp_tx", func: { name: "xdp_tx", insns: writer, labels: new Map([["out", 8]]) } }],
      }),
    );
    writeFileSync(f("two.pcap"), pcapFile([udp([198, 51, 100, 3]), udp([198, 51, 100, 2])]));
    writeFileSync(f("one.bin"), udp([198, 51, 100, 3]));
  });

  it("prints the verdict and ns/packet per packet, with map entries from --map", async () => {
    const r = await cli(
      "test",
      f("fw.o"),
      "--map",
      "BLOCKLIST",
      "198.51.100.3=1",
      "--packet",
      f("two.pcap"),
      "--repeat",
      "1000",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^packet 1: XDP_DROP\s+\d+ ns\/packet\npacket 2: XDP_PASS\s+\d+ ns\/packet\n$/);
  });

  it("without the map entry everything passes; raw .bin and hex packets work", async () => {
    const r = await cli(
      "test",
      f("fw.o"),
      "--packet",
      f("one.bin"),
      "--packet",
      udp([198, 51, 100, 3]).toString("hex"),
    );
    expect(r.out).toMatch(/^packet 1: XDP_PASS .*\npacket 2: XDP_PASS .*\n$/);
  });

  it("--json, and the output packet when the program changed it", async () => {
    const r = await cli("test", f("tx.o"), "--packet", "00".repeat(20), "--json");
    const j = JSON.parse(r.out);
    expect(j.program).toBe("xdp_tx");
    expect(j.engine).toBe(engine);
    expect(j.results[0]).toMatchObject({ packet: 1, verdict: "XDP_TX", retval: 3, dataOut: "ff" + "00".repeat(19) });
    const t = await cli("test", f("tx.o"), "--packet", "00".repeat(20));
    expect(t.out).toMatch(/^packet 1: XDP_TX .*\n  output \(20 bytes\): ff0{38}\n$/);
  });

  it("reports unknown maps and bad entries clearly", async () => {
    expect((await cli("test", f("fw.o"), "--map", "NOPE", "1=1", "--packet", "00".repeat(20))).err).toBe(
      "tsebpf: error: --map NOPE: no map of that name (have: BLOCKLIST, TSEBPF_LOGS)\n",
    );
    expect((await cli("test", f("fw.o"), "--map", "BLOCKLIST", "x=1", "--packet", "00".repeat(20))).err).toBe(
      "tsebpf: error: --map BLOCKLIST: key 'x': expected a number, an IPv4 or IPv6 address or hex:<bytes>\n",
    );
    expect((await cli("test", f("fw.o"), "--packet", "00".repeat(20), "--repeat", "0")).err).toBe(
      "tsebpf: error: --repeat '0': expected a positive integer\n",
    );
  });

  it("an entry without '=value' says so (was: 'no map of that name' for the address)", async () => {
    const fw = new URL("../programs/firewall.ts", import.meta.url).pathname;
    const r = await cli("test", fw, "--map", "BLOCKLIST", "198.51.100.3", "--packet", "00112233445566778899aabb0800");
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "tsebpf: error: --map '198.51.100.3': an entry needs a value (key=value, e.g. 198.51.100.3=1)\n",
    );
  });
});

// No kernel twin here: the verifier refuses oob.o, and the VM refuses perf.o's map before it runs.
describe("tsebpf test --vm: what only the VM says", () => {
  // reads packet byte 100 without a bounds check (the verifier would refuse it)
  const unchecked: Insn[] = [I(0x61, 2, 1, 0, 0), I(0x71, 0, 2, 100, 0), I(0x95, 0, 0, 0, 0)];
  const f = suiteDir("tsebpf-testvm-", (f) => {
    writeFileSync(
      f("oob.o"),
      writeBpfObject({
        license: "GPL",
        maps: [],
        programs: [{ section: "xdp", func: { name: "oob", insns: unchecked, labels: new Map() } }],
      }),
    );
    const perf = { name: "EVENTS", type: 4, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 };
    writeFileSync(
      f("perf.o"),
      writeBpfObject({
        license: "GPL",
        maps: [perf],
        programs: [{ section: "xdp", func: { name: "p", insns: writer, labels: new Map([["out", 8]]) } }],
      }),
    );
  });

  it("an access the verifier would refuse is a fault naming the instruction and region, exit 1", async () => {
    const r = await run("test", f("oob.o"), "--vm", "--packet", "00".repeat(20));
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toBe(
      `tsebpf: error: ${f("oob.o")}: fault in the VM: out-of-bounds read of 1 byte at packet+100 (packet is 20 bytes) at insn 1; the kernel's verifier would have rejected this program\n`,
    );
  });

  it("a map type the VM does not model is named before anything runs", async () => {
    const r = await run("test", f("perf.o"), "--vm", "--packet", "00".repeat(20));
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `tsebpf: error: ${f("perf.o")}: the VM cannot run this object: map EVENTS: perf_event_array maps are not supported by the VM yet\n`,
    );
  });
});
