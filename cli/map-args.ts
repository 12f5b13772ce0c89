// `--map NAME key=value` and `--block ADDR` text: takes what the user typed and the map, produces
// the bytes the kernel expects — numbers, 0x…, IPv4 addresses (host-order u32), IPv6 addresses
// (16 bytes in network order), IPv4 and IPv6 CIDRs for LPM tries, hex:<bytes> — range-checked against the slot's type (its BTF int type when the object has
// BTF, else its size), and writes them (loader/map-codec.ts names a full map).
import type { ParsedBtf } from "../compiler/elf/btf.js";
import { MAP_TYPE, REDIRECT_MAP_VALUE } from "../compiler/abi.js";
import {
  ifindexByName,
  intBytes,
  isArray,
  isLpm,
  lpmKey,
  objectBtf,
  redirectValue,
  setEntry,
  slotOf,
  slotRange,
  slotTypeName,
  type EntryMap,
  type Slot,
} from "../loader/map-codec.js";
import { type Cidr, ipv4Bytes, parseCidr, parseIpv4, parseIpv6 } from "../loader/ip-addr.js";
import { CliError } from "./errors.js";
import { encodeBtfValue, isComposite } from "../loader/btf-encode.js";
import type { LoadedMap } from "../compiler/object.js";

/** Raw bytes `hex:0a0b…`: exactly two hex digits per byte, exactly the slot's size. */
function parseHexBytes(text: string, s: Slot, what: string): Buffer {
  const hex = text.slice(4);
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new CliError(`${what}: hex: needs pairs of hex digits (0-9, a-f)`);
  const raw = Buffer.from(hex, "hex");
  if (raw.length !== s.size)
    throw new CliError(`${what}: ${raw.length} byte(s) given, the ${s.what} is ${s.size} bytes`);
  return raw;
}

/** A number (decimal or 0x, optionally negative) or an IPv4 address as its host-order u32. */
export function parseInteger(t: string): bigint | undefined {
  const ip = parseIpv4(t);
  if (ip !== undefined) return BigInt(ip);
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) return t.startsWith("-") ? -BigInt(t.slice(1)) : BigInt(t);
  return undefined;
}

/**
 * A key or value for a scalar slot: number, 0x…, IPv4 address, IPv6 address (a 16-byte slot), or
 * hex:<bytes>; range-checked. `ctx` is added after the text in messages (e.g. " for key '1'").
 */
export function encodeSlot(text: string, s: Slot, map: EntryMap, ctx = ""): Buffer {
  const t = text.trim();
  const what = `--map ${map.name}: ${s.what} '${text}'${ctx}`;
  if (t.startsWith("hex:")) return parseHexBytes(t, s, what);
  const v6 = parseIpv6(t);
  if (v6 && s.size !== 16) throw new CliError(`${what}: an IPv6 address needs a 16-byte ${s.what}, this is ${s.size}`);
  if (v6) return Buffer.from(v6);
  const v = parseInteger(t);
  if (v === undefined) throw new CliError(`${what}: expected a number, an IPv4 or IPv6 address or hex:<bytes>`);
  if (![1, 2, 4, 8].includes(s.size))
    throw new CliError(`${what}: the ${s.what} is ${s.size} bytes (not an integer); give it as hex:<${s.size} bytes>`);
  const [lo, hi] = slotRange(s);
  if (v < lo || v > hi) throw new CliError(`${what} does not fit ${slotTypeName(s)} (${lo}..${hi})`);
  return intBytes(v, s.size);
}

/**
 * An LPM trie key: an IPv4 or IPv6 CIDR (198.51.100.0/24, 2001:db8::/32), an address (= /32,
 * /128), a number that is an IPv4 address as a host-order u32 (0xC6336400/24; a bare 5 is
 * 0.0.0.5/32), or hex:<bytes> raw.
 */
export function encodeLpmKey(text: string, map: EntryMap): Buffer {
  const t = text.trim();
  const s: Slot = { what: "key", size: map.def.keySize };
  if (t.startsWith("hex:")) return parseHexBytes(t, s, `--map ${map.name}: key '${text}'`);
  const c = parseCidr(t) ?? numericCidr(t);
  if (!c)
    throw new CliError(
      `--map ${map.name}: key '${text}': an LPM trie key is a CIDR (198.51.100.0/24, 2001:db8::/32), an address (/32, /128), or hex:<${s.size} bytes>`,
    );
  return lpmKey(map, c);
}

/** `N` or `N/len` where N is a host-order u32 address. */
function numericCidr(t: string): Cidr | undefined {
  const [a, p, extra] = t.split("/");
  const v = parseInteger(a);
  if (v === undefined || v < 0n || v > 0xffffffffn || extra !== undefined) return undefined;
  if (p !== undefined && (!/^\d{1,2}$/.test(p) || Number(p) > 32)) return undefined;
  return { bytes: ipv4Bytes(Number(v)), prefix: p === undefined ? 32 : Number(p) };
}

/** Encode the key text for this map (LPM trie or scalar). */
export function encodeKey(text: string, map: EntryMap, btf?: ParsedBtf): Buffer {
  if (map.def.keySize === 0)
    throw new CliError(
      `--map ${map.name}: the map has no keys (type ${map.def.type}, e.g. a ring buffer); it cannot be filled`,
    );
  if (isLpm(map)) return encodeLpmKey(text, map);
  const ifindex = map.def.type === MAP_TYPE.DEVMAP_HASH ? ifindexByName(text.trim()) : undefined;
  if (ifindex !== undefined) return intBytes(BigInt(ifindex), 4); // a devmap hash keyed by interface
  if (text.includes("/"))
    throw new CliError(
      `--map ${map.name}: key '${text}': a CIDR range needs an LPM trie map; ${map.name} takes single keys`,
    );
  const key = composite(text, map, "key", btf) ?? encodeSlot(text, slotOf(map, "key", btf), map);
  if (isArray(map) && key.length === 4 && key.readUInt32LE(0) >= map.def.maxEntries)
    throw new CliError(
      `--map ${map.name}: key '${text}' is out of range: the array has ${map.def.maxEntries} entries (keys 0..${map.def.maxEntries - 1})`,
    );
  return key;
}

/** A struct, union or array slot given as JSON text (`{"packets":1,"bytes":64}`; integers may be
 * strings: decimal, 0x…, IPv4 addresses); undefined for other slots. */
function composite(text: string, map: EntryMap, what: "key" | "value", btf?: ParsedBtf, ctx = ""): Buffer | undefined {
  const id = what === "key" ? (map.def as LoadedMap).btfKeyTypeId : (map.def as LoadedMap).btfValueTypeId;
  if (!btf || !id || !isComposite(btf, id) || text.trim().startsWith("hex:")) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(
      `--map ${map.name}: ${what} '${text}'${ctx}: not JSON (${(e as Error).message}); a struct is given as {"field":value,…}`,
    );
  }
  return encodeBtfValue(btf, id, v, {
    code: `bad-${what}`,
    context: `--map ${map.name}`,
    what,
    parseInt: parseInteger,
  });
}

/** A prog array entry: a program of the object by name (its fd in the kernel, its name in the VM). */
function setProgram(map: EntryMap, index: number, name: string, key: string): void {
  if (index >= map.def.maxEntries)
    throw new CliError(
      `--map ${map.name}: key '${key}' is out of range: the prog array has ${map.def.maxEntries} entries`,
    );
  if (!map.setProgram) throw new CliError(`--map ${map.name}: this engine cannot fill prog arrays`);
  map.setProgram(index, name);
}

/** A value: a redirect map's (an interface for devmaps, a queue size for cpumaps), else a slot's. */
function encodeValue(text: string, map: EntryMap, btf: ParsedBtf | undefined, key: string): Buffer {
  const type = map.def.type;
  if (!REDIRECT_MAP_VALUE[type] || map.def.valueSize < 4)
    return (
      composite(text, map, "value", btf, ` for key '${key}'`) ??
      encodeSlot(text, slotOf(map, "value", btf), map, ` for key '${key}'`)
    );
  const what = `--map ${map.name}: value '${text}' for key '${key}'`;
  if (type === MAP_TYPE.XSKMAP)
    throw new CliError(`${what}: an xskmap holds AF_XDP sockets, which a program opens; it cannot be filled here`);
  if (type === MAP_TYPE.CPUMAP)
    return redirectValue(map, Number(encodeSlot(text, QSIZE, map, ` for key '${key}'`).readUInt32LE(0)));
  return redirectValue(map, ifindexOf(text, what));
}

const QSIZE: Slot = { what: "value", size: 4, int: { name: "u32 (queue size)", signed: false, bool: false } };

/** An interface given by ifindex or by name. */
function ifindexOf(text: string, what: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t) && Number(t) > 0 && Number(t) <= 0xffffffff) return Number(t);
  const i = ifindexByName(t);
  if (i === undefined) throw new CliError(`${what}: no interface of that name or ifindex (see \`ip link\`)`);
  return i;
}

/**
 * `--map` tokens in order: a map name, then key=value entries for it (value defaults to 1),
 * then another name… Keys may be negative when given after `--` (`--map S -- -1=3`).
 */
export function fillMaps(maps: EntryMap[], btfRaw: Uint8Array | undefined, tokens: string[], parsed?: ParsedBtf): void {
  const btf = parsed ?? objectBtf(btfRaw);
  let map: EntryMap | undefined;
  for (const t of tokens) {
    const eq = t.indexOf("=");
    if (eq < 0) {
      map = maps.find((m) => m.name === t);
      if (!map && /^[-0-9]/.test(t))
        throw new CliError(`--map '${t}': an entry needs a value (key=value, e.g. ${t}=1)`);
      if (!map)
        throw new CliError(`--map ${t}: no map of that name (have: ${maps.map((m) => m.name).join(", ") || "none"})`);
      continue;
    }
    if (!map) throw new CliError(`--map '${t}': name the map first (--map NAME key=value)`);
    const k = t.slice(0, eq);
    const key = encodeKey(k, map, btf);
    if (map.def.type === MAP_TYPE.PROG_ARRAY) {
      setProgram(map, key.readUInt32LE(0), t.slice(eq + 1), k);
      continue;
    }
    const value = encodeValue(t.slice(eq + 1) || "1", map, btf, k);
    setEntry(map, key, value, k);
  }
}

/** `run --block`: add an address or CIDR, value 1, to an LPM trie, or an address to a hash map
 * keyed by a host-order u32 (IPv4) or 16 address bytes (IPv6). */
export function blockAddress(map: EntryMap, spec: string): void {
  const c = parseCidr(spec);
  if (!c) throw new CliError(`--block '${spec}': ${NOT_AN_ADDRESS}`);
  const value = Buffer.alloc(map.def.valueSize);
  if (value.length >= 4) value.writeUInt32LE(1, 0);
  else if (value.length) value[0] = 1;
  if (isLpm(map)) return setEntry(map, lpmKey(map, c), value, spec);
  if (c.prefix !== c.bytes.length * 8)
    throw new CliError(
      `--block '${spec}': map ${map.name} is a hash map, so it takes single addresses; use an LPM trie map for CIDR ranges`,
    );
  if (map.def.keySize !== c.bytes.length)
    throw new CliError(
      `map ${map.name} has ${map.def.keySize}-byte keys; --block ${c.bytes.length === 4 ? "IPv4 needs 4-byte (u32)" : "IPv6 needs 16-byte"} keys`,
    );
  setEntry(map, hashKey(c), value, spec);
}

/** An address as a hash map key: IPv4 as its host-order u32, IPv6 as its bytes (network order). */
function hashKey(c: Cidr): Buffer {
  return Buffer.from(c.bytes.length === 4 ? c.bytes.slice().reverse() : c.bytes);
}

export const NOT_AN_ADDRESS = "not an IPv4 or IPv6 address or CIDR (e.g. 198.51.100.3, 198.51.100.0/24, 2001:db8::/32)";

/** The map `--block` fills: BLOCKLIST, else the one map whose name ends in BLOCKLIST. */
export function blocklistMap(maps: EntryMap[]): EntryMap | undefined {
  const exact = maps.find((m) => m.name === "BLOCKLIST");
  if (exact) return exact;
  const ends = maps.filter((m) => m.name.endsWith("BLOCKLIST"));
  return ends.length === 1 ? ends[0] : undefined;
}
