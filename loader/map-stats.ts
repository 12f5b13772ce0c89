// `run --stats`: takes a loaded object's maps and BTF and produces one line per non-zero entry of
// its array and per-CPU maps, `NAME[key] = value`, values decoded by BTF (loader/btf-values.ts)
// and per-CPU values summed over the CPUs (struct fields and array elements one by one). The
// loader's own maps (TSEBPF_*) and global data sections (a '.' in the name) are left out.
import { typedValue, jsonLine, type PlainValue } from "./btf-values.js";
import { isArray } from "./map-codec.js";
import { type BpfMap, perCpuValues } from "./map.js";
import type { ParsedBtf } from "../compiler/elf/btf.js";

/** The `NAME[key] = value` lines of every counted map's non-zero entries, in map order. */
export function statsLines(maps: BpfMap[], btf: ParsedBtf | undefined): string[] {
  const out: string[] = [];
  for (const map of maps.filter(counted))
    for (const [k, v] of map.entries())
      if (v.some((b) => b !== 0))
        out.push(`${map.name}[${show(keyOf(map, btf, k))}] = ${show(summedValue(map, btf, v))}`);
  return out;
}

function counted(map: BpfMap): boolean {
  return (isArray(map) || map.perCpu) && !map.name.includes(".") && !map.name.startsWith("TSEBPF_");
}

function keyOf(map: BpfMap, btf: ParsedBtf | undefined, k: Buffer): PlainValue {
  return isArray(map) ? k.readUInt32LE(0) : typedValue(btf, map.def.btfKeyTypeId, k);
}

function summedValue(map: BpfMap, btf: ParsedBtf | undefined, v: Buffer): PlainValue {
  const { valueSize: size, btfValueTypeId: id } = map.def;
  if (!map.perCpu) return typedValue(btf, id, v);
  return perCpuValues(v, size)
    .map((x) => typedValue(btf, id, x))
    .reduce((a, b) => add(a, b));
}

/** Numbers and bigints added (a bigint beyond 2^53), structs and arrays member by member; other
 * values (booleans, hex strings) are those of the first CPU. */
function add(a: PlainValue, b: PlainValue): PlainValue {
  if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")) {
    const s = BigInt(a) + BigInt(b);
    return s <= BigInt(Number.MAX_SAFE_INTEGER) && s >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(s) : s;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.map((x, i) => add(x, b[i]));
  if (isRecord(a) && isRecord(b)) return Object.fromEntries(Object.entries(a).map(([f, x]) => [f, add(x, b[f])]));
  return a;
}

const isRecord = (v: PlainValue): v is { [field: string]: PlainValue } =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const show = (v: PlainValue): string => (typeof v === "string" ? v : jsonLine(v));
