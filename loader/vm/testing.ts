// The test API (`import { testXdp } from "tsebpf/testing"`): takes an XDP program (.ts DSL source,
// .s assembly, or a .o object; a path or the object's bytes), map entries and packets, runs them in
// the in-process VM (no root, no BPF, no native addon) and produces the verdict, output packet, map
// contents after the run, the decoded logs and the ring-buffer records the run wrote. A program is built and compiled once per XdpTest.
import { readFileSync, statSync } from "node:fs";
import { assembleToObject } from "../../compiler/asm/index.js";
import { formatCompact, type Diagnostic } from "../../compiler/diagnostics.js";
import { compileToObject } from "../../compiler/dsl/index.js";
import { readBpfObject } from "../../compiler/elf/read-object.js";
import { objectName } from "../../compiler/elf/read-globals.js";
import type { ObjectModel } from "../../compiler/object.js";
import { objectBtf } from "../map-codec.js";
import { parseCidr, parseIpv4, parseIpv6 } from "../ip-addr.js";
import { decodeRecord } from "../log-format.js";
import { DROPS_MAP, LOG_LEVELS } from "../../compiler/log-record.js";
import { MAP_TYPE } from "../../compiler/abi.js";
import type { ParsedBtf } from "../../compiler/elf/btf.js";
import { decodeBtfValue, decodeRecordValue, type PlainValue } from "../btf-values.js";
import { isUserRing, recordTypeId } from "../user-rings.js";
import { xdpActionName } from "../xdp-action.js";
import { MAP_TYPE_NAMES, type VmMap } from "./maps.js";
import { XdpVm, type VmOptions } from "./xdp.js";

export { VmFault } from "./memory.js";

/** A key or value: a number or bigint (little-endian in the slot's size), an IPv4 address as text
 *  (its host-order u32, as `--map` takes it; a CIDR for an LPM trie key), or the raw bytes. */
export type MapDatum = number | bigint | string | Uint8Array;
/** A key or value read back: a number for 1-, 2- and 4-byte slots, a bigint for 8, else bytes. */
export type MapOut = number | bigint | Uint8Array;

export interface XdpTestOptions extends Omit<VmOptions, "insnLimit"> {
  /** Entries set before the first run: map name → [key, value] pairs. */
  maps?: Record<string, Iterable<readonly [MapDatum, MapDatum]>>;
  /** bpf_ktime_get_ns at the first run (ns; default 0); move it with XdpTest.clock. */
  clockNs?: bigint | number;
}

export interface LogLine {
  level: string;
  program: string;
  message: string;
}

export interface XdpResult {
  /** "XDP_PASS", "XDP_DROP", … ("unknown action N" for other values). */
  verdict: string;
  /** r0 as a number (the XDP action). */
  retval: number;
  /** The packet from data to data_end after the run. */
  packet: Uint8Array;
  /** Every key/value map after the run (not the log's drop counter): [key, value] pairs (per-CPU
   *  maps: one value per CPU). */
  maps: Record<string, [MapOut, MapOut | MapOut[]][]>;
  /** The program's log calls in this run, as `tsebpf run` prints them (without its timestamp). */
  logs: LogLine[];
  /** Global variables (.data, .bss, .rodata…) after the run, by name, decoded by their BTF type as
   *  the library's obj.globals() decodes them: integers as numbers (bigints beyond 2^53), arrays,
   *  structs as objects. Without BTF: integers as map values are decoded, other variables as bytes. */
  globals: Record<string, PlainValue | MapOut>;
  /** Records the run wrote to the object's ring buffers (not the log's), per ring, oldest first:
   *  decoded by the ring's BTF record type (objects with field names, numbers; bigints beyond
   *  2^53), the bytes when the object names no type (docs/ring-buffers.md). */
  records: Record<string, (PlainValue | Uint8Array)[]>;
  /** Instructions executed. */
  insns: number;
}

/** A program loaded into the VM: maps persist across run() calls, as in the kernel. */
export class XdpTest {
  readonly vm: XdpVm;
  private readonly btf: ParsedBtf | undefined;

  constructor(model: ObjectModel, opts: XdpTestOptions = {}) {
    this.vm = new XdpVm(model, opts);
    this.btf = objectBtf(model.btf);
    if (opts.clockNs !== undefined) this.vm.clock.ns = BigInt(opts.clockNs);
    for (const [name, entries] of Object.entries(opts.maps ?? {})) this.set(name, entries);
  }

  /** Set entries of a key/value map (per-CPU maps: on every CPU). */
  set(name: string, entries: Iterable<readonly [MapDatum, MapDatum]>): void {
    const m = this.kvMap(name);
    for (const [k, v] of entries) {
      const r = m.set(encode(m, "key", k), encode(m, "value", v));
      if (r)
        throw new Error(
          `map ${name}: setting key ${String(k)} failed (${r === -7 ? `full: ${m.def.maxEntries} entries` : `error ${r}`})`,
        );
    }
  }

  /** The bpf_ktime_get_ns clock (ns); assign to move it. */
  get clock(): bigint {
    return this.vm.clock.ns;
  }

  set clock(ns: bigint) {
    this.vm.clock.ns = ns;
  }

  run(packet: Uint8Array | string): XdpResult {
    const r = this.vm.run(typeof packet === "string" ? hexBytes(packet) : packet);
    const { model } = this.vm;
    const logs: LogLine[] = [],
      records: XdpResult["records"] = {};
    for (const def of model.maps.filter((d) => d.type === MAP_TYPE.RINGBUF)) {
      const recs = this.vm.drainRing(def.name);
      if (isUserRing(def)) records[def.name] = recs.map((b) => decodeRecordValue(this.btf, recordTypeId(def), b) ?? b);
      else for (const rec of recs) logs.push(logLine(rec, model));
    }
    const maps: XdpResult["maps"] = {};
    for (const [name, m] of this.vm.maps) if ("entries" in m && name !== DROPS_MAP) maps[name] = readEntries(m);
    return {
      verdict: xdpActionName(r.verdict),
      retval: r.verdict,
      packet: r.packet,
      maps,
      globals: this.globals(),
      logs,
      records,
      insns: r.insns,
    };
  }

  /** Every variable of the object's global data maps, decoded (through BTF as obj.globals() does). */
  globals(): Record<string, PlainValue | MapOut> {
    const out: Record<string, PlainValue | MapOut> = {};
    for (const def of this.vm.model.maps) {
      const value = def.global && this.vm.map(def.name).lookup(new Uint8Array(4), 0);
      if (!value) continue;
      if (this.btf && def.btfValueTypeId) Object.assign(out, decodeBtfValue(this.btf, def.btfValueTypeId, value));
      else
        for (const v of def.global!.vars) out[v.name] = decodeVar(value.subarray(v.offset, v.offset + v.size), v.int);
    }
    return out;
  }

  private kvMap(name: string): VmMap {
    const m = this.vm.maps.get(name);
    if (!m) throw new Error(`no map named '${name}' (have: ${[...this.vm.maps.keys()].join(", ") || "none"})`);
    if (!("entries" in m))
      throw new Error(`map ${name} is a ${MAP_TYPE_NAMES[m.def.type] ?? m.def.type}; only key/value maps take entries`);
    return m;
  }
}

/** Build (or read) a program and load it into a fresh VM. */
export function loadXdp(program: string | Uint8Array, opts: XdpTestOptions = {}): XdpTest {
  return new XdpTest(objectModel(program), opts);
}

/** One packet through a fresh VM: `await testXdp("programs/firewall.ts", { packet, maps })`. */
export async function testXdp(
  program: string | Uint8Array,
  opts: XdpTestOptions & { packet: Uint8Array | string },
): Promise<XdpResult> {
  return loadXdp(program, opts).run(opts.packet);
}

/** An IPv4 address as the host-order u32 map keys and DSL fields hold (198.51.100.7 → 0xc6336407). */
export function ipv4(text: string): number {
  const a = parseIpv4(text);
  if (a === undefined) throw new Error(`'${text}' is not an IPv4 address`);
  return a;
}

const built = new Map<string, { stamp: string; model: ObjectModel }>();

/** The object of a path (built from .ts/.s, once per file version) or of bytes. */
function objectModel(program: string | Uint8Array): ObjectModel {
  if (typeof program !== "string") return readBpfObject(program);
  const name = objectName(program);
  const st = statSync(program);
  const stamp = `${st.mtimeMs}:${st.size}`;
  const hit = built.get(program);
  if (hit?.stamp === stamp) return hit.model;
  const model = readBpfObject(buildFile(program), { name });
  built.set(program, { stamp, model });
  return model;
}

function buildFile(file: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(file));
  if (Buffer.from(bytes.subarray(0, 4)).toString("latin1") === "\x7fELF") return bytes;
  const text = Buffer.from(bytes).toString("utf8");
  const build = /\.(ts|mts)$/.test(file) ? compileToObject : assembleToObject;
  const r = build(text, file, { sectionStyle: "tsebpf", syntax: "llvm" });
  if (!r.object) throw new XdpBuildError(r.diagnostics);
  return r.object;
}

/** The program did not build: its diagnostics, one `file:line:col: error CODE: message` line each. */
export class XdpBuildError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(
      diagnostics
        .filter((d) => d.severity === "error")
        .map(formatCompact)
        .join("\n"),
    );
  }
}

const hexBytes = (text: string) => {
  const t = text.replace(/\s+/g, "");
  if (!/^(?:[0-9a-f]{2})*$/i.test(t))
    throw new Error(`packet '${text.slice(0, 40)}': expected hex bytes (two digits each)`);
  return Uint8Array.from(Buffer.from(t, "hex"));
};

function logLine(rec: Uint8Array, model: ObjectModel): LogLine {
  const r = decodeRecord(rec, model.logFormats ?? []);
  if (!r) return { level: "?", program: "?", message: `<malformed log record ${Buffer.from(rec).toString("hex")}>` };
  return { level: LOG_LEVELS[r.level] ?? "?", program: r.program, message: r.message };
}

/** A key or value for a map slot; numbers are range-checked against the slot's size. */
function encode(m: VmMap, what: "key" | "value", d: MapDatum): Uint8Array {
  const size = what === "key" ? m.def.keySize : m.def.valueSize;
  const where = `map ${m.def.name}: ${what} ${typeof d === "string" ? `'${d}'` : String(d)}`;
  if (d instanceof Uint8Array) {
    if (d.length !== size) throw new Error(`${where}: ${d.length} bytes given, the ${what} is ${size} bytes`);
    return d.slice();
  }
  if (typeof d === "string" && m.def.type === LPM_TRIE && what === "key") return lpmKey(d, size, where);
  const v6 = typeof d === "string" && size === 16 ? parseIpv6(d) : undefined;
  if (v6) return v6;
  const n = typeof d === "string" ? parseIpv4(d) : d;
  if (n === undefined)
    throw new Error(`${where}: not an IPv4 address (or IPv6, for 16 bytes; give numbers as numbers)`);
  if (![1, 2, 4, 8].includes(size)) throw new Error(`${where}: the ${what} is ${size} bytes; give it as a Uint8Array`);
  const v = BigInt(n),
    bits = BigInt(size * 8);
  if (v < -(1n << (bits - 1n)) || v >= 1n << bits) throw new Error(`${where} does not fit ${size} byte(s)`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return out.slice(0, size);
}

const LPM_TRIE = 11;

/** An LPM trie key: u32 prefix length, then the address in network order (IPv4: 8 bytes, IPv6: 20). */
function lpmKey(text: string, size: number, where: string): Uint8Array {
  const c = parseCidr(text);
  if (!c) throw new Error(`${where}: an LPM trie key is a CIDR (198.51.100.0/24, 2001:db8::/32) or an address`);
  if (size !== 4 + c.bytes.length)
    throw new Error(
      `${where}: ${c.bytes.length === 4 ? "IPv4" : "IPv6"} CIDRs need ${4 + c.bytes.length}-byte keys, the key is ${size} bytes; give it as a Uint8Array`,
    );
  const k = new Uint8Array(size);
  new DataView(k.buffer).setUint32(0, c.prefix, true);
  k.set(c.bytes, 4);
  return k;
}

function decode(b: Uint8Array): MapOut {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (b.length) {
    case 1:
      return dv.getUint8(0);
    case 2:
      return dv.getUint16(0, true);
    case 4:
      return dv.getUint32(0, true);
    case 8:
      return dv.getBigUint64(0, true);
    default:
      return b.slice();
  }
}

/** A global variable's bytes: an integer (BTF says so) as decode() gives it, signed when BTF says
 *  so; anything else (arrays, structs) as bytes. */
function decodeVar(b: Uint8Array, int: { signed: boolean } | undefined): MapOut {
  const v = int ? decode(b) : b.slice();
  if (!int?.signed || v instanceof Uint8Array) return v;
  return typeof v === "bigint" ? BigInt.asIntN(64, v) : (v << (32 - b.length * 8)) >> (32 - b.length * 8);
}

function readEntries(m: VmMap): [MapOut, MapOut | MapOut[]][] {
  const perCpu = PER_CPU.has(m.def.type);
  return m.entries().map(([k, vals]) => [decode(k), perCpu ? vals.map(decode) : decode(vals[0])]);
}

const PER_CPU = new Set([5, 6, 10]);
