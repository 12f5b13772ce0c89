// Keys and values of one map handle (maps.ts) as JS gives them and the kernel stores them: takes a
// created map, the object's BTF and whether integers come back as bigints, and encodes / decodes
// integers (range-checked against the slot's BTF int type, else its size), CIDR strings for LPM
// tries, IPv6 address strings for 16-byte keys, structs, unions and arrays as plain objects and
// arrays through BTF (btf-encode.ts and btf-values.ts), per-CPU values as arrays with .sum(),
// redirect maps' interfaces (ifindex or name), CPU queue sizes and AF_XDP socket fds, prog arrays'
// programs (set a Program, read its kernel id), raw bytes for the rest. Errors: LoaderErrors
// "bad-key"/"bad-value" with context "map NAME".
import type { ParsedBtf } from "../../compiler/elf/btf.js";
import { MAP_TYPE } from "../../compiler/abi.js";
import { type BpfMap, perCpuStride, perCpuValues } from "../map.js";
import { LoaderError } from "../errors.js";
import { decodeBtfValue } from "../btf-values.js";
import { encodeBtfValue, isComposite } from "../btf-encode.js";
import {
  ifindexByName,
  intBytes,
  isArray,
  isLpm,
  lpmKey,
  redirectValue,
  slotOf,
  slotRange,
  slotTypeName,
  type Slot,
} from "../map-codec.js";
import { formatCidr, parseCidr, parseIpv6 } from "../ip-addr.js";
import { Program } from "./program.js";

type Code = "bad-key" | "bad-value";

/** Value kinds with their own meaning (not the bytes' BTF type). */
const KINDS: Record<number, "ifindex" | "qsize" | "socket" | "program"> = {
  [MAP_TYPE.DEVMAP]: "ifindex",
  [MAP_TYPE.DEVMAP_HASH]: "ifindex",
  [MAP_TYPE.CPUMAP]: "qsize",
  [MAP_TYPE.XSKMAP]: "socket",
  [MAP_TYPE.PROG_ARRAY]: "program",
};

export class MapCodec {
  private readonly key: Slot;
  private readonly value: Slot;
  /** BTF type ids of composite (struct, union, array) keys and values. */
  private readonly keyType?: number;
  private readonly valueType?: number;
  private readonly kind?: (typeof KINDS)[number];

  constructor(
    private readonly map: BpfMap,
    private readonly btf: ParsedBtf | undefined,
    private readonly bigints: boolean,
  ) {
    this.key = slotOf(map, "key", btf);
    this.value = slotOf(map, "value", btf);
    const composite = (id: number | undefined) => (btf && id && isComposite(btf, id) ? id : undefined);
    this.keyType = composite(map.def.btfKeyTypeId);
    this.valueType = composite(map.def.btfValueTypeId);
    this.kind = KINDS[map.def.type];
  }

  private get name(): string {
    return this.map.name;
  }

  fail(code: Code, what: unknown, reason: string, hint?: string): never {
    const shown =
      typeof what === "string" ? `'${what}'` : what instanceof Uint8Array ? `${what.length} byte(s)` : String(what);
    const slot = code === "bad-key" ? "key" : "value";
    throw new LoaderError(code, `map ${this.name}`, `${slot} ${shown}: ${reason}`, hint);
  }

  encodeKey(key: unknown): Uint8Array {
    if (this.key.size === 0) this.fail("bad-key", key, "this map has no keys (a ring buffer?)");
    if (key instanceof Uint8Array) return this.exact(key, this.key, "bad-key");
    if (isLpm(this.map)) {
      const c = typeof key === "string" ? parseCidr(key) : undefined;
      if (!c)
        this.fail("bad-key", key, "an LPM trie key is a CIDR string ('198.51.100.0/24', '2001:db8::/32') or address");
      return lpmKey(this.map, c);
    }
    if (this.keyType) return this.composite(this.keyType, key, "bad-key");
    if (typeof key === "string" && this.key.size === 16) return this.ipv6(key);
    const b = this.int(key, this.key, "bad-key");
    const indexed =
      isArray(this.map) || (this.kind && this.kind !== "ifindex") || this.map.def.type === MAP_TYPE.DEVMAP;
    if (indexed && b.length === 4 && b.readUInt32LE(0) >= this.map.def.maxEntries)
      this.fail(
        "bad-key",
        key,
        `out of range: the map has ${this.map.def.maxEntries} entries (keys 0..${this.map.def.maxEntries - 1})`,
      );
    return b;
  }

  encodeValue(value: unknown): Uint8Array {
    if (value instanceof Uint8Array) return this.exact(value, this.value, "bad-value");
    if (this.kind) return this.special(value);
    if (!this.perCpuList(value)) return this.one(value);
    const stride = perCpuStride(this.value.size);
    const n = this.map.lookupSize / stride;
    if (value.length !== n)
      this.fail(
        "bad-value",
        `[${value.map(String).join(", ")}]`,
        `a per-CPU value has one entry per possible CPU (${n})`,
      );
    const all = Buffer.alloc(this.map.lookupSize);
    value.forEach((v, i) => all.set(this.one(v), i * stride));
    return all;
  }

  decodeKey(b: Buffer): unknown {
    if (isLpm(this.map) && (b.length === 8 || b.length === 20)) return formatCidr(b.subarray(4), b.readUInt32LE(0));
    if (this.keyType)
      return decodeBtfValue(this.btf!, this.keyType, b, {
        ints: "number",
        context: `map ${this.name}`,
        what: "key",
        hint: "read such keys as bytes through .raw",
      });
    return this.decodeInt(b, this.key, false);
  }

  decodeValue(b: Buffer): unknown {
    if (this.kind) return b.length >= 4 ? b.readUInt32LE(0) : new Uint8Array(b);
    if (!this.map.perCpu) return this.decodeOne(b);
    const values = perCpuValues(b, this.value.size).map((x) => this.decodeOne(x));
    return Object.defineProperty(values, "sum", { value: () => this.sum(values) });
  }

  /** An array given for a per-CPU map is one value per CPU (for array-typed values: an array of arrays). */
  private perCpuList(v: unknown): v is unknown[] {
    if (!Array.isArray(v)) return false;
    if (!this.map.perCpu)
      return (
        !this.valueType && this.fail("bad-value", v, `an array of values is for per-CPU maps; ${this.name} is not one`)
      );
    const arrayTyped = this.valueType !== undefined && this.btf!.types[this.valueType]?.kind === "array";
    return !arrayTyped || Array.isArray(v[0]) || v[0] instanceof Uint8Array;
  }

  private one(v: unknown): Uint8Array {
    if (this.valueType) return this.composite(this.valueType, v, "bad-value");
    return this.int(v, this.value, "bad-value");
  }

  private decodeOne(b: Buffer): unknown {
    if (!this.valueType) return this.decodeInt(b, this.value, this.bigints);
    return decodeBtfValue(this.btf!, this.valueType, b, {
      ints: this.bigints ? "bigint" : "number",
      context: `map ${this.name}`,
      what: "value",
      hint: `read it through the .bigint view: maps.${this.name}.bigint.get(key)`,
    });
  }

  /** Per-CPU values added up: integers, and structs and arrays of integers field by field. */
  private sum(values: unknown[]): unknown {
    const add = (a: unknown, b: unknown, path: string): unknown => {
      if (Array.isArray(a)) return a.map((x, i) => add(x, (b as unknown[])[i], `${path}[${i}]`));
      if (typeof a === "object" && a !== null)
        return Object.fromEntries(
          Object.entries(a).map(([k, x]) => [k, add(x, (b as Record<string, unknown>)[k], `${path}.${k}`)]),
        );
      if (typeof a !== "number" && typeof a !== "bigint")
        throw new LoaderError("not-summable", `map ${this.name}`, `${path} is not an integer: sum() adds integers`);
      return BigInt(a) + BigInt(b as bigint);
    };
    const total = values.slice(1).reduce((acc, v) => add(acc, v, "value"), this.bigAll(values[0]));
    return this.bigints ? total : this.toNumbers(total, "the per-CPU sum");
  }

  /** Every integer of a decoded value as a bigint (sums are added exactly). */
  private bigAll(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.bigAll(x));
    if (typeof v === "object" && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.bigAll(x)]));
    return typeof v === "number" ? BigInt(v) : v;
  }

  private toNumbers(v: unknown, what: string): unknown {
    if (Array.isArray(v)) return v.map((x) => this.toNumbers(x, what));
    if (typeof v === "object" && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.toNumbers(x, what)]));
    return typeof v === "bigint" ? this.toJs(v, what, false) : v;
  }

  /** Redirect maps and prog arrays: an interface, a queue size, a socket fd, a program. */
  private special(v: unknown): Uint8Array {
    switch (this.kind) {
      case "program":
        if (!(v instanceof Program)) this.fail("bad-value", v, "a prog array takes a program: obj.program(name)");
        return intBytes(BigInt(v.fd), 4);
      case "ifindex": {
        const i = typeof v === "string" ? ifindexByName(v) : v;
        if (typeof i !== "number" || !Number.isInteger(i) || i <= 0 || i > 0xffffffff)
          this.fail("bad-value", v, "a devmap takes an interface: its name or ifindex (see `ip link`)");
        return redirectValue(this.map, i);
      }
      default: {
        const u32: Slot = { what: "value", size: 4, int: { name: "u32", signed: false, bool: false } };
        return redirectValue(this.map, this.int(v, u32, "bad-value").readUInt32LE(0));
      }
    }
  }

  private composite(id: number, v: unknown, code: Code): Buffer {
    return encodeBtfValue(this.btf!, id, v, {
      code,
      context: `map ${this.name}`,
      what: code === "bad-key" ? "key" : "value",
    });
  }

  /** An IPv6 address string as the 16 bytes of a slot (network order). */
  private ipv6(text: string): Uint8Array {
    const b = parseIpv6(text);
    if (!b) this.fail("bad-key", text, "a 16-byte slot takes an IPv6 address ('2001:db8::1'), an integer or bytes");
    return b;
  }

  private exact(b: Uint8Array, s: Slot, code: Code): Uint8Array {
    if (b.length !== s.size) this.fail(code, b, `the ${s.what} is ${s.size} bytes`);
    return b;
  }

  private int(v: unknown, s: Slot, code: Code): Buffer {
    if (typeof v !== "number" && typeof v !== "bigint")
      return this.fail(code, v, `expected an integer, not ${typeof v}`);
    if (typeof v === "number" && !Number.isSafeInteger(v)) this.fail(code, v, "not a safe integer (use a bigint)");
    if (![1, 2, 4, 8].includes(s.size))
      this.fail(code, v, `the ${s.what} is ${s.size} bytes (not an integer): give it as a Uint8Array`);
    const [lo, hi] = slotRange(s);
    if (BigInt(v) < lo || BigInt(v) > hi) this.fail(code, v, `does not fit ${slotTypeName(s)} (${lo}..${hi})`);
    return intBytes(BigInt(v), s.size);
  }

  /** An integer slot as a number (exact: beyond 2^53 an error naming .bigint) or, in the .bigint view, a bigint; other sizes as bytes. */
  private decodeInt(b: Buffer, s: Slot, big: boolean): number | bigint | Uint8Array {
    if (![1, 2, 4, 8].includes(b.length)) return new Uint8Array(b);
    const signed = s.int?.signed ?? false;
    const v =
      b.length === 8
        ? signed
          ? b.readBigInt64LE(0)
          : b.readBigUInt64LE(0)
        : BigInt(signed ? b.readIntLE(0, b.length) : b.readUIntLE(0, b.length));
    return this.toJs(v, `${s.what} ${v}`, big);
  }

  private toJs(v: bigint, what: string, big: boolean): number | bigint {
    if (big) return v;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      throw new LoaderError(
        "bad-value",
        `map ${this.name}`,
        `${what} does not fit a JS number exactly (beyond 2^53)`,
        what.startsWith("key")
          ? "read such keys as bytes through .raw"
          : `read it as a bigint through the .bigint view: maps.${this.name}.bigint.get(key)`,
      );
    return Number(v);
  }
}
