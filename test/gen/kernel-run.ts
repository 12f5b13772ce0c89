// Running a generated program in the kernel the way the reference interpreter runs it: takes the
// object bytes, the program's maps (LPM entries preloaded), and packets; produces per packet the
// verdict, the output bytes and a dump of every map, plus the decoded log messages. Per-CPU maps
// are cleared before each packet, because each test run may land on another CPU. Each run is also
// checked against the VM (helpers/twin.ts).
import type { IntName } from "../../compiler/dsl/ast.js";
import type { BpfMap } from "../../loader/map.js";
import type { LoadedObject } from "../../loader/object.js";
import { readLogs, withObject } from "../helpers/run.js";
import { testRunChecked } from "../helpers/twin.js";
import type { GenProgram, MapSpec } from "./generate.js";
import { narrow } from "./interp.js";

export interface PacketOutcome {
  verdict: number;
  packet: Uint8Array;
  maps: string;
}
export interface ProgramOutcome {
  packets: PacketOutcome[];
  logs: string[];
}

export const SIZE: Record<IntName, number> = { u8: 1, u16: 2, u32: 4, u64: 8, i8: 1, i16: 2, i32: 4, i64: 8 };
export const isPerCpu = (m: MapSpec): boolean => m.cls.startsWith("PerCpu");
export const isArray = (m: MapSpec): boolean => m.cls === "ArrayMap" || m.cls === "PerCpuArray";

export function runInKernel(bytes: Uint8Array, prog: GenProgram, packets: Uint8Array[]): ProgramOutcome {
  return withObject(bytes, (o) => {
    preloadLpm(o, prog);
    const out = packets.map((p) => {
      for (const m of prog.maps) if (isPerCpu(m)) clear(o.map(m.name)!, m);
      const r = testRunChecked(o, p, { program: prog.name });
      return { verdict: r.retval, packet: r.dataOut, maps: dumpKernelMaps(o, prog.maps) };
    });
    return { packets: out, logs: readLogs(o) };
  });
}

function preloadLpm(o: LoadedObject, prog: GenProgram): void {
  for (const [name, key, value] of lpmEntries(prog)) o.map(name)!.set(key, value);
}

/** The LPM trie entries a program starts with: map name, key (prefix length, address), value. */
export function lpmEntries(prog: GenProgram): [string, Buffer, Buffer][] {
  return prog.maps
    .filter((x) => x.cls === "LpmTrie")
    .flatMap((m) =>
      prog.lpm.map((e): [string, Buffer, Buffer] => {
        const key = Buffer.alloc(8);
        key.writeUInt32LE(e.prefix, 0);
        key.writeUInt32BE(e.addr >>> 0, 4);
        return [m.name, key, encode(e.value, m.value)];
      }),
    );
}

function clear(map: BpfMap, spec: MapSpec): void {
  if (isArray(spec)) for (let i = 0; i < spec.max; i++) map.set(encode(BigInt(i), "u32"), Buffer.alloc(map.lookupSize));
  else for (const k of [...map.keys()]) map.delete(k);
}

export function encode(v: bigint, t: IntName): Buffer {
  const b = Buffer.alloc(SIZE[t]);
  let x = BigInt.asUintN(64, v);
  for (let i = 0; i < b.length; i++, x >>= 8n) b[i] = Number(x & 0xffn);
  return b;
}

function decode(b: Uint8Array, off: number, t: IntName): bigint {
  let v = 0n;
  for (let i = SIZE[t] - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]!);
  return narrow(v, t);
}

/** Every map's entries as text (per-CPU values summed over CPUs), in a canonical order. */
function dumpKernelMaps(o: LoadedObject, specs: MapSpec[]): string {
  return dumpMaps(specs, (s) => {
    const map = o.map(s.name)!;
    const slot = isPerCpu(s) ? (SIZE[s.value] + 7) & ~7 : map.def.valueSize;
    return [...map.keys()].flatMap((k) => {
      const raw = map.get(k);
      return raw ? [[k, Array.from({ length: raw.length / slot }, (_, c) => raw.subarray(c * slot))]] : [];
    });
  });
}

/** Every map but LPM tries as text, from its entries (key bytes, one value per CPU). */
export function dumpMaps(specs: MapSpec[], rows: (s: MapSpec) => [Uint8Array, Uint8Array[]][]): string {
  return specs
    .filter((s) => s.cls !== "LpmTrie")
    .map((s) => {
      const entries = new Map<bigint, bigint>();
      for (const [k, values] of rows(s))
        entries.set(
          decode(k, 0, s.key),
          narrow(
            values.reduce((sum, v) => sum + decode(v, 0, s.value), 0n),
            s.value,
          ),
        );
      return formatMap(s.name, entries);
    })
    .join("; ");
}

export function formatMap(name: string, entries: Map<bigint, bigint>): string {
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `${name}{${sorted.map(([k, v]) => `${k}:${v}`).join(",")}}`;
}
