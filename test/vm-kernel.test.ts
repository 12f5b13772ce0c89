// The VM checked against the kernel: the example programs (compiled by our DSL compiler) and
// clang fixture objects run on the same packets through BPF_PROG_TEST_RUN and through the VM;
// verdict, output packet, ring buffer records / decoded logs and map contents must agree.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { decodeRecord } from "../loader/logs.js";
import type { BpfMap } from "../loader/map.js";
import { XdpVm } from "../loader/vm/xdp.js";
import type { VmMap } from "../loader/vm/maps.js";
import { haveKernel } from "./helpers/env.js";
import { buildProgram } from "./helpers/dsl.js";
import { frame } from "./helpers/packets.js";
import { drainRing, withObject } from "./helpers/run.js";
import { sumLanes, testRunChecked } from "./helpers/twin.js";

const BLOCKED = "198.51.100.7";
const PACKETS: [string, Uint8Array][] = [
  ["udp", frame({ proto: 17 })],
  ["tcp", frame({ proto: 6, srcPort: 40000, dstPort: 443 })],
  ["icmp", frame({ proto: 1 })],
  ["blocked udp", frame({ proto: 17, src: BLOCKED })],
  ["blocked tcp", frame({ proto: 6, src: BLOCKED })],
  [
    "arp",
    (() => {
      const f = frame();
      f[12] = 0x08;
      f[13] = 0x06;
      return f;
    })(),
  ],
  ["ethernet only", frame().slice(0, 14)],
  ["truncated ipv4", frame().slice(0, 30)],
  ["exactly eth+ipv4", frame({ proto: 17, src: BLOCKED }).slice(0, 34)],
  ["exactly eth+ipv4+udp", frame({ proto: 17 }).slice(0, 42)],
  [
    "big",
    (() => {
      const f = new Uint8Array(1400);
      f.set(frame({ proto: 17 }));
      return f;
    })(),
  ],
];

const fixture = (f: string) => new Uint8Array(readFileSync(`fixtures/c/${f}`));
const CASES: [string, () => Uint8Array, string?][] = [
  ["programs/hello.ts", () => buildProgram("hello")],
  ["programs/firewall.ts", () => buildProgram("firewall")],
  ["programs/parse.ts", () => buildProgram("parse")],
  ["programs/counters.ts", () => buildProgram("counters")],
  ["programs/firewall.ts (libbpf sections)", () => buildProgram("firewall", "libbpf")],
  ...["hello", "firewall", "parser", "legacy", "subprog"].flatMap((n) =>
    ["clang14-g", "clang19-g"].map((v): [string, () => Uint8Array] => [
      `fixtures/c/${n}.${v}.o`,
      () => fixture(`${n}.${v}.o`),
    ]),
  ),
  ["fixtures/c/subprog.clang19.o xdp_size_twice", () => fixture("subprog.clang19.o"), "xdp_size_twice"],
  ["fixtures/c/globals.clang19-g.o", () => fixture("globals.clang19-g.o")],
  ["fixtures/c/globals.clang19.o (no BTF)", () => fixture("globals.clang19.o")],
];

/** Both byte orders of the blocked address: whichever the program uses, BLOCKED is dropped. */
function blockKeys(): Uint8Array[] {
  const b = Uint8Array.from(BLOCKED.split(".").map(Number));
  return [b, b.slice().reverse()];
}

interface Seen {
  verdict: number;
  packet: string;
  records: string[];
}

function kernelSide(bytes: Uint8Array, program?: string): { runs: Seen[]; maps: Record<string, string[]> } {
  return withObject(bytes, (o) => {
    for (const m of o.maps) if (m.name === "BLOCKLIST") for (const k of blockKeys()) m.set(k, one(m.def.valueSize));
    const runs = PACKETS.map(([, p]) => {
      const r = testRunChecked(o, p, { program });
      const records: string[] = [];
      for (const m of o.maps)
        if (m.def.type === 27) drainRing(o, m.name, (rec) => records.push(record(m.name, rec, o.model.logFormats)));
      return { verdict: r.retval, packet: hex(r.dataOut), records };
    });
    return {
      runs,
      maps: Object.fromEntries(o.maps.filter((m) => m.def.type !== 27).map((m) => [m.name, kernelEntries(m)])),
    };
  });
}

function vmSide(bytes: Uint8Array, program?: string): { runs: Seen[]; maps: Record<string, string[]> } {
  const model = readBpfObject(bytes);
  const vm = new XdpVm(model, { program });
  const kv = model.maps.filter((m) => m.type !== 27);
  for (const m of kv)
    if (m.name === "BLOCKLIST") for (const k of blockKeys()) vm.map(m.name).update(k, one(m.valueSize), 0, 0);
  const runs = PACKETS.map(([, p]) => {
    const r = vm.run(p);
    const records = model.maps
      .filter((m) => m.type === 27)
      .flatMap((m) => vm.drainRing(m.name).map((rec) => record(m.name, rec, model.logFormats)));
    return { verdict: r.verdict, packet: hex(r.packet), records };
  });
  return { runs, maps: Object.fromEntries(kv.map((m) => [m.name, vmEntries(vm.map(m.name))])) };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const one = (size: number) => {
  const v = new Uint8Array(size);
  v[0] = 1;
  return v;
};
const PERCPU = new Set([5, 6, 10]);

function record(ring: string, rec: Uint8Array, formats: Parameters<typeof decodeRecord>[1] | undefined): string {
  return ring === "TSEBPF_LOGS"
    ? (decodeRecord(rec, formats ?? [])?.message ?? `<bad record ${hex(rec)}>`)
    : `${ring}: ${hex(rec)}`;
}

function kernelEntries(m: BpfMap): string[] {
  const stride = (m.def.valueSize + 7) & ~7;
  return [...m.keys()]
    .map((k) => {
      const v = m.get(k)!;
      const vals = PERCPU.has(m.def.type)
        ? Array.from({ length: v.length / stride }, (_, c) => v.subarray(c * stride, c * stride + m.def.valueSize))
        : [v];
      return `${hex(k)}=${PERCPU.has(m.def.type) ? sumLanes(vals, m.def.valueSize) : hex(v)}`;
    })
    .sort();
}

function vmEntries(m: VmMap): string[] {
  return m
    .entries()
    .map(([k, vals]) => `${hex(k)}=${PERCPU.has(m.def.type) ? sumLanes(vals, m.def.valueSize) : hex(vals[0])}`)
    .sort();
}

describe.skipIf(!haveKernel)("VM agrees with the kernel", () => {
  it.each(CASES)("%s", (_name, bytes, program) => {
    const obj = bytes();
    const k = kernelSide(obj, program),
      v = vmSide(obj, program);
    PACKETS.forEach(([what], i) => expect(v.runs[i], `packet '${what}'`).toEqual(k.runs[i]));
    expect(v.maps).toEqual(k.maps);
  });
});

describe("VM on the agreement cases", () => {
  it("exercises drops, logs and ring records (the agreement above is not vacuous)", () => {
    const fw = vmSide(buildProgram("firewall"));
    expect(fw.runs.map((r) => r.verdict)).toContain(1);
    expect(fw.runs[0].records[0]).toMatch(/^SRC: 198\.51\.100\.1, ACTION: 2$/);
    const clang = vmSide(fixture("firewall.clang19-g.o"));
    expect(clang.runs[3].records).toEqual(["EVENTS: c6336407"]);
  });
});
