// The bodies of `tsebpf map …` (cli/commands/map.ts): open the pinned map with its BTF
// (loader/api/pinned.ts), decode entries with loader/btf-values.ts, encode keys and values as
// `run --map` does (cli/map-args.ts).
import type { Io } from "../io.js";
import { CliError } from "../errors.js";
import { encodeKey, fillMaps } from "../map-args.js";
import { loadPinned, openMapById, openPinnedMap } from "../../loader/api/pinned.js";
import { typedValue, jsonLine, type PlainValue } from "../../loader/btf-values.js";
import { type BpfMap, perCpuValues } from "../../loader/map.js";
import type { ParsedBtf } from "../../compiler/elf/btf.js";
import { mapTypeName } from "../../compiler/abi.js";
import { formatCidr } from "../../loader/ip-addr.js";
import { isLpm } from "../../loader/map-codec.js";
import { closeFd } from "../../loader/sys/libc.js";

interface Shown {
  json?: boolean;
  hex?: boolean;
}

export function list(dir: string, io: Io): void {
  using p = loadPinned(dir);
  for (const [name, h] of Object.entries(p.maps)) {
    const d = h.raw.def;
    io.stdout(
      `${name}  ${mapTypeName(d.type) ?? `type ${d.type}`}  key ${d.keySize} B  value ${d.valueSize} B  max_entries ${d.maxEntries}\n`,
    );
  }
}

export function dump(path: string, o: Shown, io: Io): void {
  withMap(path, (map, btf) => {
    const entries = map.entries();
    for (const [k, v] of entries) io.stdout(line(map, btf, k, v, o));
  });
}

export function get(path: string, key: string, o: Shown): string {
  return withMap(path, (map, btf) => {
    const k = encodeKey(key, map, btf);
    const v = map.get(k);
    if (!v) throw new CliError(`${path}: no entry for key '${key}'`);
    return line(map, btf, k, v, o);
  });
}

export function set(path: string, entries: string[]): void {
  withMap(path, (map, btf) => fillMaps([map], undefined, [map.name, ...entries], btf));
}

export function del(path: string, key: string): void {
  withMap(path, (map, btf) => {
    if (!map.delete(encodeKey(key, map, btf))) throw new CliError(`${path}: no entry for key '${key}'`);
  });
}

function withMap<T>(path: string, f: (map: BpfMap, btf: ParsedBtf | undefined) => T): T {
  const id = /^id:(\d+)$/.exec(path);
  const { map, btf } = id ? openMapById(Number(id[1])) : openPinnedMap(path);
  try {
    return f(map, btf);
  } finally {
    closeFd(map.fd);
  }
}

function line(map: BpfMap, btf: ParsedBtf | undefined, k: Buffer, v: Buffer, o: Shown): string {
  const key = o.hex ? k.toString("hex") : keyValue(map, btf, k);
  const value = o.hex ? v.toString("hex") : decodedValue(map, btf, v);
  if (o.json) return `${jsonLine({ key, value })}\n`;
  return `${show(key)}: ${show(value)}\n`;
}

const show = (v: PlainValue): string => (typeof v === "string" ? v : jsonLine(v));

function keyValue(map: BpfMap, btf: ParsedBtf | undefined, k: Buffer): PlainValue {
  if (isLpm(map) && (k.length === 8 || k.length === 20)) return formatCidr(k.subarray(4), k.readUInt32LE(0));
  return typedValue(btf, map.def.btfKeyTypeId, k);
}

function decodedValue(map: BpfMap, btf: ParsedBtf | undefined, v: Buffer): PlainValue {
  const size = map.def.valueSize;
  if (!map.perCpu) return typedValue(btf, map.def.btfValueTypeId, v);
  return perCpuValues(v, size).map((x) => typedValue(btf, map.def.btfValueTypeId, x));
}
