// The one table of names the DSL knows: integer types, packet headers (fields with wire offsets
// and sizes), constants, XdpAction, map classes and their methods, helpers, log levels and formats.
// Read by the checker, the back end (lower/lower.ts) and the d.ts consistency test. Plain data.
import type { IntName, IntType } from "./ast.js";
import { AF, FIB_FLAG, FIB_RET, HELPER, MAP_FLAG, MAP_TYPE, REDIRECT_FLAG, XDP_ACTION } from "../abi.js";
import { arrayOf, layoutStruct } from "./layout.js";

export const MODULE_NAME = "tsebpf";

/** A name table without a prototype, so `T[name]` is undefined for "constructor", "toString"…
 * (every table below is looked up with names taken from the source). */
function table<T>(entries: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

export const INT_TYPES: Record<IntName, IntType> = table({
  u8: { kind: "int", name: "u8", bits: 8, signed: false },
  u16: { kind: "int", name: "u16", bits: 16, signed: false },
  u32: { kind: "int", name: "u32", bits: 32, signed: false },
  u64: { kind: "int", name: "u64", bits: 64, signed: false },
  i8: { kind: "int", name: "i8", bits: 8, signed: true },
  i16: { kind: "int", name: "i16", bits: 16, signed: true },
  i32: { kind: "int", name: "i32", bits: 32, signed: true },
  i64: { kind: "int", name: "i64", bits: 64, signed: true },
}) as Record<IntName, IntType>;

export function isIntName(n: string): n is IntName {
  return Object.hasOwn(INT_TYPES, n);
}

/**
 * A header field: `offset`/`size` in bytes on the wire (network byte order); read in host order.
 * Sub-byte fields (Ipv4Hdr.version/ihl, TcpHdr.dataOffset) give bitOffset (from the LSB of the
 * byte) and bitWidth. Mac addresses (6 bytes) read as a u64 holding the 48-bit value.
 */
export interface HeaderField {
  offset: number;
  size: 1 | 2 | 4 | 6 | 8;
  type: IntName;
  bitOffset?: number;
  bitWidth?: number;
  doc: string;
}

export interface HeaderDef {
  size: number;
  doc: string;
  fields: Record<string, HeaderField>;
  /** 16-byte address fields (Ipv6Addr, network order) by name: their byte offsets. */
  addrs?: Record<string, { offset: number; doc: string }>;
}

const f = (
  offset: number,
  size: HeaderField["size"],
  type: IntName,
  doc: string,
  bits?: [number, number],
): HeaderField =>
  bits ? { offset, size, type, bitOffset: bits[0], bitWidth: bits[1], doc } : { offset, size, type, doc };

export const HEADERS: Record<string, HeaderDef> = table({
  EthHdr: {
    size: 14,
    doc: "Ethernet II header",
    fields: table({
      dstMac: f(0, 6, "u64", "destination MAC address (48 bits)"),
      srcMac: f(6, 6, "u64", "source MAC address (48 bits)"),
      etherType: f(12, 2, "u16", "EtherType (ETH_P_IP, ...)"),
    }),
  },
  VlanHdr: {
    size: 4,
    doc: "802.1Q tag (follows the Ethernet header when etherType is ETH_P_8021Q)",
    fields: table({
      tci: f(0, 2, "u16", "tag control information (priority, DEI, VLAN id)"),
      etherType: f(2, 2, "u16", "EtherType of the encapsulated packet"),
    }),
  },
  Ipv4Hdr: {
    size: 20,
    doc: "IPv4 header without options",
    fields: table({
      version: f(0, 1, "u8", "IP version (4)", [4, 4]),
      ihl: f(0, 1, "u8", "header length in 32-bit words", [0, 4]),
      tos: f(1, 1, "u8", "type of service / DSCP+ECN"),
      totalLen: f(2, 2, "u16", "total length in bytes"),
      id: f(4, 2, "u16", "identification"),
      fragOff: f(6, 2, "u16", "flags and fragment offset"),
      ttl: f(8, 1, "u8", "time to live"),
      protocol: f(9, 1, "u8", "next protocol (IPPROTO_TCP, ...)"),
      checksum: f(10, 2, "u16", "header checksum"),
      srcAddr: f(12, 4, "u32", "source address"),
      dstAddr: f(16, 4, "u32", "destination address"),
    }),
  },
  Ipv6Hdr: {
    size: 40,
    doc: "IPv6 fixed header",
    fields: table({
      version: f(0, 1, "u8", "IP version (6)", [4, 4]),
      payloadLen: f(4, 2, "u16", "payload length in bytes"),
      nextHeader: f(6, 1, "u8", "next header (IPPROTO_TCP, ...)"),
      hopLimit: f(7, 1, "u8", "hop limit"),
      srcAddrHi: f(8, 8, "u64", "source address, first 8 bytes"),
      srcAddrLo: f(16, 8, "u64", "source address, last 8 bytes"),
      dstAddrHi: f(24, 8, "u64", "destination address, first 8 bytes"),
      dstAddrLo: f(32, 8, "u64", "destination address, last 8 bytes"),
    }),
    addrs: table({
      srcAddr: { offset: 8, doc: "source address" },
      dstAddr: { offset: 24, doc: "destination address" },
    }),
  },
  TcpHdr: {
    size: 20,
    doc: "TCP header without options",
    fields: table({
      srcPort: f(0, 2, "u16", "source port"),
      dstPort: f(2, 2, "u16", "destination port"),
      seq: f(4, 4, "u32", "sequence number"),
      ackSeq: f(8, 4, "u32", "acknowledgement number"),
      dataOffset: f(12, 1, "u8", "header length in 32-bit words", [4, 4]),
      flags: f(13, 1, "u8", "flags: FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32"),
      window: f(14, 2, "u16", "receive window"),
      checksum: f(16, 2, "u16", "checksum"),
      urgPtr: f(18, 2, "u16", "urgent pointer"),
    }),
  },
  UdpHdr: {
    size: 8,
    doc: "UDP header",
    fields: table({
      srcPort: f(0, 2, "u16", "source port"),
      dstPort: f(2, 2, "u16", "destination port"),
      len: f(4, 2, "u16", "length of header and payload"),
      checksum: f(6, 2, "u16", "checksum"),
    }),
  },
  IcmpHdr: {
    size: 8,
    doc: "ICMP header",
    fields: table({
      type: f(0, 1, "u8", "message type"),
      code: f(1, 1, "u8", "message code"),
      checksum: f(2, 2, "u16", "checksum"),
      id: f(4, 2, "u16", "identifier (echo)"),
      sequence: f(6, 2, "u16", "sequence number (echo)"),
    }),
  },
});

/** Named integer constants exported by "tsebpf". */
export const CONSTANTS: Record<string, { value: bigint; type: IntName }> = table({
  ETH_P_IP: { value: 0x0800n, type: "u16" },
  ETH_P_IPV6: { value: 0x86ddn, type: "u16" },
  ETH_P_ARP: { value: 0x0806n, type: "u16" },
  ETH_P_8021Q: { value: 0x8100n, type: "u16" },
  ETH_P_8021AD: { value: 0x88a8n, type: "u16" },
  IPPROTO_ICMP: { value: 1n, type: "u8" },
  IPPROTO_TCP: { value: 6n, type: "u8" },
  IPPROTO_UDP: { value: 17n, type: "u8" },
  IPPROTO_ICMPV6: { value: 58n, type: "u8" },
  BPF_F_BROADCAST: { value: BigInt(REDIRECT_FLAG.BROADCAST), type: "u64" },
  BPF_F_EXCLUDE_INGRESS: { value: BigInt(REDIRECT_FLAG.EXCLUDE_INGRESS), type: "u64" },
  AF_INET: { value: BigInt(AF.INET), type: "u8" },
  AF_INET6: { value: BigInt(AF.INET6), type: "u8" },
  ...prefixed("BPF_FIB_LKUP_RET_", FIB_RET, "i32"),
  ...prefixed("BPF_FIB_LOOKUP_", FIB_FLAG, "u32"),
});

function prefixed(prefix: string, values: Record<string, number>, type: IntName) {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [prefix + k, { value: BigInt(v), type }]));
}

/** XdpAction members (enum XdpAction in the d.ts; values are the kernel's XDP_* codes). */
export const XDP_ACTIONS: Record<string, number> = table({
  Aborted: XDP_ACTION.ABORTED,
  Drop: XDP_ACTION.DROP,
  Pass: XDP_ACTION.PASS,
  Tx: XDP_ACTION.TX,
  Redirect: XDP_ACTION.REDIRECT,
});

/** Parameter/return kinds of map methods: the map's key/value type, or a fixed type. */
export type MethodArg = "key" | "value" | "record" | IntName;
export type MethodRet = "value?" | "record?" | "bool" | "void";

export interface MapMethod {
  params: MethodArg[];
  returns: MethodRet;
  doc: string;
}

const GET: MapMethod = { params: ["key"], returns: "value?", doc: "the value for key, or null" };
const SET: MapMethod = { params: ["key", "value"], returns: "void", doc: "insert or replace (BPF_ANY)" };
const DEL: MapMethod = { params: ["key"], returns: "void", doc: "remove key if present" };
const HAS: MapMethod = { params: ["key"], returns: "bool", doc: "whether key is present" };
const ADD: MapMethod = {
  params: ["key", "value"],
  returns: "void",
  doc: "atomically add delta to the value; inserts delta when key is absent (hash maps)",
};
const OUTPUT: MapMethod = {
  params: ["value"],
  returns: "bool",
  doc: "copy a record into the ring buffer (bpf_ringbuf_output); false when it has no room (the record is lost)",
};
const RESERVE: MapMethod = {
  params: [],
  returns: "record?",
  doc: "a new record in the ring to fill in place (bpf_ringbuf_reserve), zeroed; null when the ring has no room",
};
const SUBMIT: MapMethod = {
  params: ["record"],
  returns: "void",
  doc: "publish a reserved record (bpf_ringbuf_submit)",
};
const DISCARD: MapMethod = { params: ["record"], returns: "void", doc: "drop a reserved record (bpf_ringbuf_discard)" };

export interface MapClass {
  type: number; // BPF_MAP_TYPE_*
  /** Number of generic type arguments: 2 (<K, V>), 1 (RingBuf<T>) or 0 (redirect maps: u32 keys, ABI values). */
  typeArgs: 0 | 1 | 2;
  flags: number;
  methods: Record<string, MapMethod>;
  doc: string;
}

/**
 * Map classes. Keys/values are integer types. LpmTrie<K, V>: the kernel key is
 * `{ u32 prefixlen; K data }` (data in network order); `get`/`has` look up with the full prefix
 * (K's bits), entries are added from user space. RingBuf<T>: constructor arg is the size in bytes.
 */
export const MAPS: Record<string, MapClass> = table({
  HashMap: {
    type: MAP_TYPE.HASH,
    typeArgs: 2,
    flags: 0,
    methods: table({ get: GET, set: SET, delete: DEL, has: HAS, add: ADD }),
    doc: "BPF_MAP_TYPE_HASH",
  },
  LruHashMap: {
    type: MAP_TYPE.LRU_HASH,
    typeArgs: 2,
    flags: 0,
    methods: table({ get: GET, set: SET, delete: DEL, has: HAS, add: ADD }),
    doc: "BPF_MAP_TYPE_LRU_HASH",
  },
  PerCpuHashMap: {
    type: MAP_TYPE.PERCPU_HASH,
    typeArgs: 2,
    flags: 0,
    methods: table({ get: GET, set: SET, delete: DEL, has: HAS, add: ADD }),
    doc: "BPF_MAP_TYPE_PERCPU_HASH",
  },
  ArrayMap: {
    type: MAP_TYPE.ARRAY,
    typeArgs: 2,
    flags: 0,
    methods: table({ get: GET, set: SET, has: HAS, add: ADD }),
    doc: "BPF_MAP_TYPE_ARRAY (key is an index < maxEntries)",
  },
  PerCpuArray: {
    type: MAP_TYPE.PERCPU_ARRAY,
    typeArgs: 2,
    flags: 0,
    methods: table({ get: GET, set: SET, has: HAS, add: ADD }),
    doc: "BPF_MAP_TYPE_PERCPU_ARRAY",
  },
  LpmTrie: {
    type: MAP_TYPE.LPM_TRIE,
    typeArgs: 2,
    flags: MAP_FLAG.NO_PREALLOC,
    methods: table({ get: GET, has: HAS }),
    doc: "BPF_MAP_TYPE_LPM_TRIE (BPF_F_NO_PREALLOC)",
  },
  RingBuf: {
    type: MAP_TYPE.RINGBUF,
    typeArgs: 1,
    flags: 0,
    methods: table({ output: OUTPUT, reserve: RESERVE, submit: SUBMIT, discard: DISCARD }),
    doc: "BPF_MAP_TYPE_RINGBUF",
  },
  DevMap: {
    type: MAP_TYPE.DEVMAP,
    typeArgs: 0,
    flags: 0,
    methods: table({}),
    doc: "BPF_MAP_TYPE_DEVMAP: interfaces by index (struct bpf_devmap_val), for redirectMap",
  },
  DevMapHash: {
    type: MAP_TYPE.DEVMAP_HASH,
    typeArgs: 0,
    flags: 0,
    methods: table({}),
    doc: "BPF_MAP_TYPE_DEVMAP_HASH: interfaces by any u32 key (e.g. the ifindex), for redirectMap",
  },
  CpuMap: {
    type: MAP_TYPE.CPUMAP,
    typeArgs: 0,
    flags: 0,
    methods: table({}),
    doc: "BPF_MAP_TYPE_CPUMAP: CPUs by index (struct bpf_cpumap_val: queue size), for redirectMap",
  },
  ProgArray: {
    type: MAP_TYPE.PROG_ARRAY,
    typeArgs: 0,
    flags: 0,
    methods: table({}),
    doc: "BPF_MAP_TYPE_PROG_ARRAY: programs by index, for tailCall (filled from user space)",
  },
  XskMap: {
    type: MAP_TYPE.XSKMAP,
    typeArgs: 0,
    flags: 0,
    methods: table({}),
    doc: "BPF_MAP_TYPE_XSKMAP: AF_XDP sockets by rx queue index, for redirectMap",
  },
});

/** Functions that take a map (redirect maps, prog arrays) as an argument: its accepted classes,
 * the other parameters (ctx, integers, or flags: an integer or an XdpAction) and the helper. */
export const MAP_FUNCTIONS: Record<
  string,
  { maps: string[]; params: ("map" | "ctx" | "flags" | IntName)[]; returns: ValueKind; bpfHelper: number; doc: string }
> = table({
  redirectMap: {
    maps: ["DevMap", "DevMapHash", "CpuMap", "XskMap"],
    params: ["map", "u32", "flags"],
    returns: "action",
    bpfHelper: HELPER.redirect_map,
    doc: "bpf_redirect_map: XdpAction.Redirect, or the flags' low two bits (an XdpAction) when key has no entry",
  },
  tailCall: {
    maps: ["ProgArray"],
    params: ["ctx", "map", "u32"],
    returns: "void",
    bpfHelper: HELPER.tail_call,
    doc: "bpf_tail_call: run the program at index instead of this one; returns (falls through) when there is none",
  },
});

/** Kernel map types a user may reach for that the DSL does not support yet (a clear message). */
export const UNSUPPORTED_MAPS = new Set(["StackTrace", "Queue", "Stack", "BloomFilter"]);

export type ValueKind = IntName | "bool" | "void" | "action";

/** Free helper functions: a BPF helper call (bpfHelper), or arithmetic the compiler emits inline. */
export const HELPERS: Record<string, { params: IntName[]; returns: ValueKind; bpfHelper?: number; doc: string }> =
  table({
    ktimeNs: {
      params: [],
      returns: "u64",
      bpfHelper: HELPER.ktime_get_ns,
      doc: "bpf_ktime_get_ns: monotonic time in ns",
    },
    cpuId: { params: [], returns: "u32", bpfHelper: HELPER.get_smp_processor_id, doc: "bpf_get_smp_processor_id" },
    randomU32: { params: [], returns: "u32", bpfHelper: HELPER.get_prandom_u32, doc: "bpf_get_prandom_u32" },
    redirect: {
      params: ["u32"],
      returns: "action",
      bpfHelper: HELPER.redirect,
      doc: "bpf_redirect(ifindex, 0): returns XdpAction.Redirect on success",
    },
    csumDiff: {
      params: ["u32", "u32", "u32"],
      returns: "u32",
      bpfHelper: HELPER.csum_diff,
      doc: "bpf_csum_diff(&from, 4, &to, 4, seed): seed + to - from as a 32-bit one's complement partial sum",
    },
    csumFold: { params: ["u32"], returns: "u16", doc: "csum_fold: a partial sum folded to 16 bits and inverted" },
    csumReplace2: {
      params: ["u16", "u16", "u16"],
      returns: "u16",
      doc: "csum_replace2: the checksum after a 16-bit word changes from `from` to `to` (RFC 1624)",
    },
    csumReplace4: {
      params: ["u16", "u32", "u32"],
      returns: "u16",
      doc: "csum_replace4: the checksum after a 32-bit value changes from `from` to `to` (RFC 1624)",
    },
  });

/** `fibLookup(ctx, params, flags)`: bpf_fib_lookup with an object literal of FibParams, giving a
 * FibResult (compiler/dsl/fib-defs.ts has both types and the kernel's struct bpf_fib_lookup). */
export const FIB_LOOKUP = "fibLookup";

/** Packet bytes at any offset: `ctx.loadU16(off)` (network order) / `ctx.loadU16le(off)` (the
 * bytes as they are, little-endian) → the value or null past the end; `ctx.storeU16(off, v)` /
 * `storeU16le` → whether it was written. */
export interface PacketAccess {
  store: boolean;
  size: 1 | 2 | 4 | 8;
  /** Little-endian (no swap); network order otherwise. */
  le: boolean;
}
export const PACKET_ACCESS: Record<string, PacketAccess> = table(
  Object.fromEntries(
    ([1, 2, 4, 8] as const).flatMap((size) =>
      [false, true].flatMap((store) =>
        (size === 1 ? [false] : [false, true]).map((le) => [
          `${store ? "store" : "load"}U${size * 8}${le ? "le" : ""}`,
          { store, size, le },
        ]),
      ),
    ),
  ),
);

export type CtxMethod = {
  params: ("header" | IntName)[];
  returns: ValueKind | "header?" | `${IntName}?`;
  bpfHelper?: number;
  doc: string;
};

function packetMethods(): Record<string, CtxMethod> {
  const out: Record<string, CtxMethod> = {};
  for (const [name, a] of Object.entries(PACKET_ACCESS)) {
    const t = `u${a.size * 8}` as IntName;
    const order = a.size === 1 ? "" : a.le ? ", little-endian" : ", network order";
    out[name] = a.store
      ? { params: ["u32", t], returns: "bool", doc: `write a ${t} at a byte offset${order}; false past the end` }
      : { params: ["u32"], returns: `${t}?`, doc: `the ${t} at a byte offset${order}, or null past the end` };
  }
  return out;
}

/** Methods and properties of XdpContext (`ctx`). */
export const CTX_METHODS: Record<string, CtxMethod> = table({
  ...packetMethods(),
  header: {
    params: ["header", "u32"],
    returns: "header?",
    doc: "bounds-checked view of a header at a byte offset, or null when the packet is too short",
  },
  adjustHead: {
    params: ["i32"],
    returns: "i32",
    bpfHelper: HELPER.xdp_adjust_head,
    doc: "bpf_xdp_adjust_head: 0 on success; invalidates header views",
  },
  adjustTail: {
    params: ["i32"],
    returns: "i32",
    bpfHelper: HELPER.xdp_adjust_tail,
    doc: "bpf_xdp_adjust_tail: 0 on success; invalidates header views",
  },
});
/** `offset`: a field of struct xdp_md read with a 4-byte context load (length calls a helper). */
export const CTX_PROPERTIES: Record<string, { type: IntName; doc: string; offset?: number }> = table({
  length: { type: "u32", doc: "packet length in bytes (data_end - data)" },
  ingressIfindex: { type: "u32", offset: 12, doc: "xdp_md.ingress_ifindex: the interface the packet arrived on" },
  rxQueueIndex: { type: "u32", offset: 16, doc: "xdp_md.rx_queue_index: the receive queue it arrived on" },
});

/** Log functions → level (docs/log-format.md). */
export const LOG_LEVELS: Record<string, 1 | 2 | 3 | 4 | 5> = table({ error: 1, warn: 2, info: 3, debug: 4, trace: 5 });

/** Formatters usable inside a log template's `${}`. */
export const FORMATS: Record<string, "ipv4" | "ipv6" | "hex" | "mac"> = table({
  ipv4: "ipv4",
  ipv6: "ipv6",
  hex: "hex",
  mac: "mac",
});

/** Ipv6Addr: 16 bytes in network order (BTF: struct Ipv6Addr { u8 addr[16]; }); compared, copied and
 * used as map keys as a whole, its bytes are not fields of the DSL. */
export const IPV6_ADDR = layoutStruct("Ipv6Addr", [{ name: "addr", type: arrayOf(INT_TYPES.u8, 16) }]);

/** Type names exported by "tsebpf" besides ints, headers and maps. */
export const TYPE_NAMES = [
  "XdpContext",
  "XdpFragsContext",
  "XdpAction",
  "bool",
  "FixedArray",
  "Ipv6Addr",
  "FibParams",
  "FibResult",
] as const;
/** Functions that only declare: `const LIMIT = config<u32>(1000)`, a load-time constant (check/globals.ts). */
export const DECLARATORS = ["config"] as const;

/** Every name "tsebpf" exports (for import checking and the d.ts test). */
export function exportedNames(): string[] {
  return [
    ...Object.keys(INT_TYPES),
    ...TYPE_NAMES,
    ...DECLARATORS,
    ...Object.keys(HEADERS),
    ...Object.keys(CONSTANTS),
    ...Object.keys(MAPS),
    ...Object.keys(HELPERS),
    ...Object.keys(MAP_FUNCTIONS),
    FIB_LOOKUP,
    ...Object.keys(LOG_LEVELS),
    ...Object.keys(FORMATS),
  ];
}
