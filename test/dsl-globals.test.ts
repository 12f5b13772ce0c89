// Global variables in the DSL: module-level `let` (.bss when zero, else .data), const arrays and
// structs (.rodata) and config() load-time constants (const volatile .rodata) compile to the
// sections, symbols, BTF VAR/DATASEC and section-symbol ld_imm64 relocations clang writes; programs
// read and write them (`+=` atomic, a variable index bounds-checked) with the same results in the
// VM and the kernel; --set/{ set } change config values before the freeze, and the verifier then
// drops the branch a config turns off.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { loadXdp } from "../loader/vm/testing.js";
import { loadObject } from "../loader/object.js";
import { progInfo } from "../loader/sys/bpf.js";
import { compileDsl } from "./helpers/dsl.js";
import { frame } from "./helpers/packets.js";
import { haveKernel } from "./helpers/env.js";
import { testRunChecked } from "./helpers/twin.js";

const SAMPLE = "fixtures/dsl-samples/globals.ts";
const SRC = readFileSync(SAMPLE, "utf8");
/** The sample's declarations, for programs of other bodies. */
const HEAD = SRC.slice(0, SRC.indexOf("\nexport function"));

const OBJ = compileDsl(SRC, "globals.ts", { sectionStyle: "libbpf" });
const udp = (dstPort: number, srcPort = 40000) => frame({ proto: 17, dstPort, srcPort });

describe("global variables in the object", () => {
  const model = readBpfObject(OBJ, { name: "globals" });
  const byName = (n: string) => model.maps.find((m) => m.name === n)!;

  it("has .rodata, .data and .bss maps with the variables by offset, config ones const volatile", () => {
    const ro = byName("globals.rodata"),
      data = byName("globals.data"),
      bss = byName("globals.bss");
    expect(ro.global!.vars).toEqual([
      { name: "BLOCKED", offset: 0, size: 6 },
      { name: "TX_RANGE", offset: 6, size: 4 },
      { name: "DROP_ALL", offset: 10, size: 1, int: { signed: false }, constVolatile: true },
      { name: "MIN_PORT", offset: 12, size: 2, int: { signed: false }, constVolatile: true },
    ]);
    expect(Buffer.from(ro.global!.init).toString("hex")).toBe("35007b00a100e803d00700000000");
    expect(data.global!.vars.map((v) => [v.name, v.offset])).toEqual([["credit", 0]]);
    expect(Array.from(data.global!.init)).toEqual([7, 0, 0, 0]);
    expect(bss.global!.vars.map((v) => [v.name, v.offset, v.size])).toEqual([
      ["packets", 0, 8],
      ["lastPort", 8, 2],
      ["buckets", 16, 32],
    ]);
    expect(bss.valueSize).toBe(48);
  });

  it("addresses each section through an ld_imm64 relocated against its section symbol", () => {
    const relocs = model.programs[0]!.relocs;
    const sections = new Set(relocs.map((r) => [r.kind, r.symbol, r.data?.section].join(" ")));
    expect([...sections].sort()).toEqual(["data .bss .bss", "data .data .data", "data .rodata .rodata"]);
  });

  it("leaves compile-time constants and programs without globals alone (no sections)", () => {
    const plain = compileDsl(
      `import { XdpContext, XdpAction } from "tsebpf";\nconst N = 2;\nexport function xdp_p(ctx: XdpContext): XdpAction { return N === 2 ? XdpAction.Pass : XdpAction.Drop; }\n`,
      "p.ts",
    );
    expect(readBpfObject(plain).maps).toEqual([]);
  });
});

describe("global variables in the VM", () => {
  it("reads and writes them; += is kept per variable, a variable index outside the array writes nothing", () => {
    const t = loadXdp(OBJ);
    expect(t.run(udp(53)).verdict).toBe("XDP_DROP");
    expect(t.run(udp(1500, 40001)).verdict).toBe("XDP_TX");
    expect(t.run(udp(80, 40005)).verdict).toBe("XDP_PASS"); // srcPort & 7 = 5: outside buckets
    const g = t.run(udp(81, 40003)).globals;
    // decoded through BTF as obj.globals() decodes them: arrays and structs too, not their bytes
    expect(g).toMatchObject({ packets: 4, lastPort: 81, credit: 3, DROP_ALL: false });
    expect(g.buckets).toEqual([53, 1500, 0, 81]);
    expect(g.BLOCKED).toEqual([53, 123, 161]);
    expect(g.TX_RANGE).toEqual({ low: 1000, high: 2000 });
  });

  it("takes config values and initial values from { set }", () => {
    expect(loadXdp(OBJ, { set: { DROP_ALL: true } }).run(udp(80)).verdict).toBe("XDP_DROP");
    expect(loadXdp(OBJ, { set: { MIN_PORT: 100 } }).run(udp(80)).verdict).toBe("XDP_ABORTED");
    expect(loadXdp(OBJ, { set: { credit: 100 } }).run(udp(80)).globals).toMatchObject({ credit: 99 });
  });
});

/** A program whose config-gated branch does a lot of work, or (gate false) none of it. */
function gated(withBranch: boolean): Uint8Array {
  const work = Array.from({ length: 24 }, (_, i) => `    buckets[(udp.srcPort + ${i}) & 3] += udp.len;`).join("\n");
  const branch = withBranch ? `  if (DROP_ALL) {\n${work}\n  }\n` : "";
  const body = `export function xdp_gated(ctx: XdpContext): XdpAction {
  const udp = ctx.header(UdpHdr, EthHdr.size + Ipv4Hdr.size);
  if (udp === null) return XdpAction.Pass;
${branch}  packets += 1;
  return XdpAction.Pass;
}
`;
  return compileDsl(`${HEAD}\n${body}`, "gated.ts");
}

describe.skipIf(!haveKernel)("global variables in the kernel", () => {
  const load = (bytes: Uint8Array, set: Record<string, number | boolean> = {}) => {
    const obj = loadObject(bytes, { source: "globals.o", set });
    try {
      const fd = obj.program().fd;
      const r = [udp(53), udp(1500, 40001), udp(80, 40005), udp(81, 40003)].map((p) => testRunChecked(obj, p).retval);
      return { verdicts: r, verified: progInfo(fd).verifiedInsns };
    } finally {
      obj.close();
    }
  };

  it("gives the VM's verdicts, also with config set", () => {
    expect(load(OBJ).verdicts).toEqual([1, 3, 2, 2]);
    expect(load(OBJ, { DROP_ALL: true }).verdicts).toEqual([1, 1, 1, 1]);
    expect(load(OBJ, { MIN_PORT: 100 }).verdicts).toEqual([0, 3, 0, 0]);
  });

  it("a branch a config turns off costs the verifier nothing (it knows the frozen value)", () => {
    const without = load(gated(false)).verified;
    const off = load(gated(true)).verified;
    const on = load(gated(true), { DROP_ALL: true }).verified;
    expect(off).toBeLessThanOrEqual(without + 4); // the section address, the config load and its test
    expect(on).toBeGreaterThan(without + 24 * 4);
  });
});
