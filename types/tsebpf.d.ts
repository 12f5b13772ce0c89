// Declarations for `import … from "tsebpf"`: they let editors and `tsc` check DSL programs.
// The compiler does not run programs; it compiles a subset of TypeScript (see compiler/dsl/ast.ts)
// against the same catalogue (compiler/dsl/catalog.ts; test/dsl-tsc.test.ts keeps them in step).
//
// Integer types are aliases of `number` (u64/i64 too, so plain literals work everywhere). The
// compiler gives each its exact width: arithmetic wraps to the type, constants are exact (a
// literal such as 0xffff_ffff_ffff_ffff or 5n is taken from the source text, not from a double).

/** Unsigned 8-bit integer. */
export type u8 = number;
/** Unsigned 16-bit integer. */
export type u16 = number;
/** Unsigned 32-bit integer. */
export type u32 = number;
/** Unsigned 64-bit integer (a `number` for tsc; exact in the compiled program). */
export type u64 = number;
/** Signed 8-bit integer. */
export type i8 = number;
/** Signed 16-bit integer. */
export type i16 = number;
/** Signed 32-bit integer. */
export type i32 = number;
/** Signed 64-bit integer (a `number` for tsc; exact in the compiled program). */
export type i64 = number;
/** Boolean. */
export type bool = boolean;

/** The verdict of an XDP program (the kernel's XDP_* codes). */
export declare enum XdpAction {
  Aborted = 0,
  Drop = 1,
  Pass = 2,
  Tx = 3,
  Redirect = 4,
}

/** A header type: usable as `ctx.header(T, offset)` and `T.size`. */
export interface HeaderClass<T> {
  readonly prototype: T;
  readonly size: number;
}

/** The packet: pass it to ctx.header() to read headers with bounds checks. */
export declare class XdpContext {
  private constructor();
  /** Packet length in bytes (data_end - data). */
  readonly length: u32;
  /** xdp_md.ingress_ifindex: the ifindex of the interface the packet arrived on. */
  readonly ingressIfindex: u32;
  /** xdp_md.rx_queue_index: the receive queue the packet arrived on. */
  readonly rxQueueIndex: u32;
  /** A bounds-checked view of header T at a byte offset, or null when the packet is too short. */
  header<T>(type: HeaderClass<T>, offset: u32): T | null;
  /** bpf_xdp_adjust_head: move the packet start by delta bytes; 0 on success. Invalidates header views. */
  adjustHead(delta: i32): i32;
  /** bpf_xdp_adjust_tail: move the packet end by delta bytes; 0 on success. Invalidates header views. */
  adjustTail(delta: i32): i32;
  // Packet bytes at any byte offset (bounds-checked; a variable offset is clamped at 0xff00, so a
  // larger one is past the end). loadUn: network order, the value or null past the end;
  // loadUnle: the bytes as they are (little-endian). storeUn/storeUnle: false past the end.
  /** The byte at offset, or null past the end. */
  loadU8(offset: u32): u8 | null;
  /** The u16 at offset in network order, or null past the end. */
  loadU16(offset: u32): u16 | null;
  /** The u32 at offset in network order, or null past the end. */
  loadU32(offset: u32): u32 | null;
  /** The u64 at offset in network order, or null past the end. */
  loadU64(offset: u32): u64 | null;
  /** The u16 at offset, little-endian, or null past the end. */
  loadU16le(offset: u32): u16 | null;
  /** The u32 at offset, little-endian, or null past the end. */
  loadU32le(offset: u32): u32 | null;
  /** The u64 at offset, little-endian, or null past the end. */
  loadU64le(offset: u32): u64 | null;
  /** Write a byte at offset; false (nothing written) past the end. */
  storeU8(offset: u32, value: u8): boolean;
  /** Write a u16 at offset in network order; false past the end. */
  storeU16(offset: u32, value: u16): boolean;
  /** Write a u32 at offset in network order; false past the end. */
  storeU32(offset: u32, value: u32): boolean;
  /** Write a u64 at offset in network order; false past the end. */
  storeU64(offset: u32, value: u64): boolean;
  /** Write a u16 at offset, little-endian; false past the end. */
  storeU16le(offset: u32, value: u16): boolean;
  /** Write a u32 at offset, little-endian; false past the end. */
  storeU32le(offset: u32, value: u32): boolean;
  /** Write a u64 at offset, little-endian; false past the end. */
  storeU64le(offset: u32, value: u64): boolean;
}

/**
 * The context of a program that accepts multi-buffer packets (jumbo frames, GRO): declared as
 * `ctx: XdpFragsContext`, the program goes to section `xdp.frags` and loads with
 * BPF_F_XDP_HAS_FRAGS. Header views reach the first buffer only; ctx.length counts every buffer.
 */
export type XdpFragsContext = XdpContext;

// ---- packet headers: fields are read and written in host byte order; offsets are on the wire.

/** Ethernet II header (14 bytes). */
export declare class EthHdr {
  private constructor();
  static readonly size: 14;
  /** destination MAC address (48 bits), offset 0 */
  dstMac: u64;
  /** source MAC address (48 bits), offset 6 */
  srcMac: u64;
  /** EtherType (ETH_P_IP, ...), offset 12 */
  etherType: u16;
}

/** 802.1Q tag (4 bytes). */
export declare class VlanHdr {
  private constructor();
  static readonly size: 4;
  /** tag control information (priority, DEI, VLAN id), offset 0 */
  tci: u16;
  /** EtherType of the encapsulated packet, offset 2 */
  etherType: u16;
}

/** IPv4 header without options (20 bytes). */
export declare class Ipv4Hdr {
  private constructor();
  static readonly size: 20;
  /** IP version (4): high nibble of byte 0 */
  readonly version: u8;
  /** header length in 32-bit words: low nibble of byte 0 */
  readonly ihl: u8;
  /** type of service / DSCP+ECN, offset 1 */
  tos: u8;
  /** total length in bytes, offset 2 */
  totalLen: u16;
  /** identification, offset 4 */
  id: u16;
  /** flags and fragment offset, offset 6 */
  fragOff: u16;
  /** time to live, offset 8 */
  ttl: u8;
  /** next protocol (IPPROTO_TCP, ...), offset 9 */
  protocol: u8;
  /** header checksum, offset 10 */
  checksum: u16;
  /** source address, offset 12 */
  srcAddr: u32;
  /** destination address, offset 16 */
  dstAddr: u32;
}

/** An IPv6 address: 16 bytes in network order, as in the packet (BTF: struct Ipv6Addr { u8 addr[16]; }).
 * Compared with ===/!==, copied into locals, assigned to a header's address (`ip6.dstAddr = a`), kept in
 * structs and map values, used as a map key (LpmTrie<Ipv6Addr, V>: a /128 lookup),
 * logged with ipv6(x). Its bytes are not accessible one by one. */
export declare class Ipv6Addr {
  private constructor();
  #private; // nominal: not an object literal
}

/** IPv6 fixed header (40 bytes). Addresses as Ipv6Addr, or split in two 64-bit halves. */
export declare class Ipv6Hdr {
  private constructor();
  static readonly size: 40;
  /** IP version (6): high nibble of byte 0 */
  readonly version: u8;
  /** payload length in bytes, offset 4 */
  payloadLen: u16;
  /** next header (IPPROTO_TCP, ...), offset 6 */
  nextHeader: u8;
  /** hop limit, offset 7 */
  hopLimit: u8;
  /** source address, first 8 bytes, offset 8 */
  srcAddrHi: u64;
  /** source address, last 8 bytes, offset 16 */
  srcAddrLo: u64;
  /** destination address, first 8 bytes, offset 24 */
  dstAddrHi: u64;
  /** destination address, last 8 bytes, offset 32 */
  dstAddrLo: u64;
  /** source address, offset 8 (assigning one writes its 16 bytes into the packet) */
  srcAddr: Ipv6Addr;
  /** destination address, offset 24 (assigning one writes its 16 bytes into the packet) */
  dstAddr: Ipv6Addr;
}

/** TCP header without options (20 bytes). */
export declare class TcpHdr {
  private constructor();
  static readonly size: 20;
  /** source port, offset 0 */
  srcPort: u16;
  /** destination port, offset 2 */
  dstPort: u16;
  /** sequence number, offset 4 */
  seq: u32;
  /** acknowledgement number, offset 8 */
  ackSeq: u32;
  /** header length in 32-bit words: high nibble of byte 12 */
  readonly dataOffset: u8;
  /** flags: FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32; offset 13 */
  flags: u8;
  /** receive window, offset 14 */
  window: u16;
  /** checksum, offset 16 */
  checksum: u16;
  /** urgent pointer, offset 18 */
  urgPtr: u16;
}

/** UDP header (8 bytes). */
export declare class UdpHdr {
  private constructor();
  static readonly size: 8;
  /** source port, offset 0 */
  srcPort: u16;
  /** destination port, offset 2 */
  dstPort: u16;
  /** length of header and payload, offset 4 */
  len: u16;
  /** checksum, offset 6 */
  checksum: u16;
}

/** ICMP header (8 bytes). */
export declare class IcmpHdr {
  private constructor();
  static readonly size: 8;
  /** message type, offset 0 */
  type: u8;
  /** message code, offset 1 */
  code: u8;
  /** checksum, offset 2 */
  checksum: u16;
  /** identifier (echo), offset 4 */
  id: u16;
  /** sequence number (echo), offset 6 */
  sequence: u16;
}

// ---- constants

export declare const ETH_P_IP: u16;
export declare const ETH_P_IPV6: u16;
export declare const ETH_P_ARP: u16;
export declare const ETH_P_8021Q: u16;
export declare const ETH_P_8021AD: u16;
export declare const IPPROTO_ICMP: u8;
export declare const IPPROTO_TCP: u8;
export declare const IPPROTO_UDP: u8;
export declare const IPPROTO_ICMPV6: u8;

// ---- structs: declare them with `interface Name { field: u32; … }` (or `type Name = { … }`);
// fields are integers, bool, other structs and FixedArrays. Laid out as C lays them out (natural alignment).

/**
 * N elements of T (an integer, bool or struct type), back to back: `FixedArray<u16, 4>`. N is a
 * number literal the compiler checks (tsc sees an array of T): literals give exactly N elements,
 * a constant index must be below N, and a variable index outside 0..N-1 reads 0 and writes nothing.
 */
export type FixedArray<T, N extends number> = T[] & { readonly __length?: N };

// ---- global variables: module-level `let packets: u64 = 0;` (.bss when zero, else .data; `+=`
// `-=` `|=` `&=` `^=` on a 4- or 8-byte one is atomic), module-level `const` structs and FixedArrays
// (.rodata, read-only), and load-time constants declared with config().

/**
 * A load-time constant: `const MAX_PPS = config<u32>(1000);` is libbpf's `const volatile __u32
 * MAX_PPS = 1000;` in .rodata. `tsebpf run/test --set MAX_PPS=50`, `load(file, { set })` and
 * `testXdp({ set })` change it before the program loads; the map is then frozen, so the verifier
 * knows the value and drops the branches it turns off. T is an integer type or bool; only at top level.
 */
export declare function config<T extends number | boolean>(value: T): T;

// ---- maps: declare them at top level, `export const M = new HashMap<u32, u64>(1024);`
// Keys and values are integers or structs. `get(k)` of a struct value is a reference to the value
// in the map: its fields are read and written in place (`v.packets += 1` is atomic on a shared map).

/** BPF_MAP_TYPE_HASH. */
export declare class HashMap<K extends number | object, V extends number | object> {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
  /** The value for key, or null. */
  get(key: K): V | null;
  /** Insert or replace. */
  set(key: K, value: V): void;
  /** Remove key if present. */
  delete(key: K): void;
  /** Whether key is present. */
  has(key: K): boolean;
  /** Atomically add delta to the value; inserts delta when the key is absent. */
  add(key: K, delta: V): void;
}

/** BPF_MAP_TYPE_LRU_HASH: a hash map that evicts the least recently used entries. */
export declare class LruHashMap<K extends number | object, V extends number | object> {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
  get(key: K): V | null;
  set(key: K, value: V): void;
  delete(key: K): void;
  has(key: K): boolean;
  add(key: K, delta: V): void;
}

/** BPF_MAP_TYPE_PERCPU_HASH: one value per CPU; the program sees its CPU's value. */
export declare class PerCpuHashMap<K extends number | object, V extends number | object> {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
  get(key: K): V | null;
  set(key: K, value: V): void;
  delete(key: K): void;
  has(key: K): boolean;
  add(key: K, delta: V): void;
}

/** BPF_MAP_TYPE_ARRAY: keys are indexes below maxEntries; every entry exists (zero at start). */
export declare class ArrayMap<K extends number, V extends number | object> {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
  get(key: K): V | null;
  set(key: K, value: V): void;
  has(key: K): boolean;
  add(key: K, delta: V): void;
}

/** BPF_MAP_TYPE_PERCPU_ARRAY. */
export declare class PerCpuArray<K extends number, V extends number | object> {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
  get(key: K): V | null;
  set(key: K, value: V): void;
  has(key: K): boolean;
  add(key: K, delta: V): void;
}

/** BPF_MAP_TYPE_LPM_TRIE: longest-prefix match; entries are added from user space. */
export declare class LpmTrie<K extends number | Ipv6Addr, V extends number> {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
  /** The value of the longest matching prefix, or null. */
  get(key: K): V | null;
  has(key: K): boolean;
}

/** BPF_MAP_TYPE_RINGBUF: size in bytes (a power of two, at least 4096). */
export declare class RingBuf<T> {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(sizeBytes: number);
  /** Copy a record into the ring buffer: false when it has no room (the record is lost; count it). */
  output(value: T): boolean;
  /**
   * A new record (T a struct) in the ring, zeroed, to fill in place: `const e = R.reserve();`, null
   * when the ring has no room. On every path where it is not null, pass it to submit() or discard()
   * exactly once, and do not use it after that (the compiler checks both).
   */
  reserve(): T | null;
  /** Publish a record from reserve(): user space reads it. */
  submit(record: T): void;
  /** Drop a record from reserve(): user space never sees it. */
  discard(record: T): void;
}

/** BPF_MAP_TYPE_DEVMAP: interfaces by index (u32 keys below maxEntries; each value a struct
 * bpf_devmap_val { ifindex, bpf_prog_fd }), filled from user space; a target of redirectMap. */
export declare class DevMap {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
}

/** BPF_MAP_TYPE_DEVMAP_HASH: interfaces by any u32 key (often the ifindex); a target of redirectMap. */
export declare class DevMapHash {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
}

/** BPF_MAP_TYPE_CPUMAP: CPUs by index (each value a struct bpf_cpumap_val { qsize, bpf_prog_fd }). */
export declare class CpuMap {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
}

/** BPF_MAP_TYPE_XSKMAP: AF_XDP sockets by receive queue index; a target of redirectMap. */
export declare class XskMap {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
}

/** BPF_MAP_TYPE_PROG_ARRAY: programs of the same object by index, for tailCall (filled from user space). */
export declare class ProgArray {
  #private; // nominal: load<typeof Module>() tells the map kinds apart
  constructor(maxEntries: number);
}

/** bpf_tail_call: run the program at `index` of the ProgArray in place of this one (it does not
 * return); when there is none (or after 33 tail calls) it returns and the program goes on. */
export declare function tailCall(ctx: XdpContext, map: ProgArray, index: u32): void;

/** bpf_redirect_map flag (devmaps): send the packet to every interface of the map. */
export declare const BPF_F_BROADCAST: u64;
/** bpf_redirect_map flag (devmaps, with BPF_F_BROADCAST): leave out the interface it came in on. */
export declare const BPF_F_EXCLUDE_INGRESS: u64;

/**
 * bpf_redirect_map: redirect the packet to the entry `key` of a DevMap, DevMapHash, CpuMap or
 * XskMap; returns XdpAction.Redirect, or — when the map has no entry for key — the action given in
 * the flags' low two bits (e.g. XdpAction.Pass). Return the result from the program.
 */
export declare function redirectMap(map: DevMap | DevMapHash | CpuMap | XskMap, key: u32, flags: XdpAction | u64): XdpAction;

// ---- helpers

/** Monotonic time in nanoseconds (bpf_ktime_get_ns). */
export declare function ktimeNs(): u64;
/** The current CPU (bpf_get_smp_processor_id). */
export declare function cpuId(): u32;
/** A pseudo-random number (bpf_get_prandom_u32). */
export declare function randomU32(): u32;
/** Redirect the packet to another interface (bpf_redirect); return the result from the program. */
export declare function redirect(ifindex: u32): XdpAction;

// ---- routing: bpf_fib_lookup

/** Address families for FibParams.family. */
export declare const AF_INET: u8;
export declare const AF_INET6: u8;

/** The inputs of fibLookup: members of the kernel's struct bpf_fib_lookup, in host order (the
 * compiler writes ports, IPv4 addresses and flowinfo in network order). Give `tos` or `flowinfo`,
 * `ipv4Src` or `ipv6Src`, `ipv4Dst` or `ipv6Dst`: each pair shares bytes of the kernel struct. */
export interface FibParams {
  /** AF_INET or AF_INET6. */
  family: u8;
  /** The interface the lookup is for (the packet's: ctx.ingressIfindex). */
  ifindex: u32;
  /** IPPROTO_* (for policy routing rules). */
  l4Protocol?: u8;
  sport?: u16;
  dport?: u16;
  /** L3 length for the MTU check (Ipv4Hdr.totalLen; IPv6: payloadLen + 40); 0 skips it. */
  totLen?: u16;
  /** IPv4 type of service. */
  tos?: u8;
  /** IPv6 flow label and priority. */
  flowinfo?: u32;
  ipv4Src?: u32;
  ipv4Dst?: u32;
  ipv6Src?: Ipv6Addr;
  ipv6Dst?: Ipv6Addr;
  /** Routing table id (with BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_TBID). */
  tbid?: u32;
  /** fwmark for policy routing (with BPF_FIB_LOOKUP_MARK). */
  mark?: u32;
}

/** What fibLookup gives back, in host order. The outputs are valid when ret is
 * BPF_FIB_LKUP_RET_SUCCESS (ifindex and metric also with BPF_FIB_LKUP_RET_NO_NEIGH). */
export interface FibResult {
  /** BPF_FIB_LKUP_RET_* (0: SUCCESS), or a negative errno (-EINVAL: bad flags, -ENODEV: no such ifindex). */
  ret: i32;
  /** The interface to send the packet out of (redirect(ifindex)). */
  ifindex: u32;
  /** The egress interface's MAC (48 bits, as EthHdr.srcMac takes it). */
  smac: u64;
  /** The next hop's MAC from the neighbour table (48 bits, as EthHdr.dstMac takes it). */
  dmac: u64;
  /** The route's MTU (FRAG_NEEDED: the MTU that totLen exceeded). */
  mtu: u16;
  /** The route's metric (priority). */
  metric: u32;
}

/** bpf_fib_lookup: look up the route (and the neighbour) of a packet in the kernel's FIB, as
 * forwarding would. `params` is an object literal; flags: 0 or BPF_FIB_LOOKUP_* ORed. */
export declare function fibLookup(ctx: XdpContext, params: FibParams, flags: u32): FibResult;

/** bpf_fib_lookup return codes (FibResult.ret). */
export declare const BPF_FIB_LKUP_RET_SUCCESS: i32;
export declare const BPF_FIB_LKUP_RET_BLACKHOLE: i32;
export declare const BPF_FIB_LKUP_RET_UNREACHABLE: i32;
export declare const BPF_FIB_LKUP_RET_PROHIBIT: i32;
export declare const BPF_FIB_LKUP_RET_NOT_FWDED: i32;
export declare const BPF_FIB_LKUP_RET_FWD_DISABLED: i32;
export declare const BPF_FIB_LKUP_RET_UNSUPP_LWT: i32;
export declare const BPF_FIB_LKUP_RET_NO_NEIGH: i32;
export declare const BPF_FIB_LKUP_RET_FRAG_NEEDED: i32;
export declare const BPF_FIB_LKUP_RET_NO_SRC_ADDR: i32;
/** bpf_fib_lookup flags. */
export declare const BPF_FIB_LOOKUP_DIRECT: u32;
export declare const BPF_FIB_LOOKUP_OUTPUT: u32;
export declare const BPF_FIB_LOOKUP_SKIP_NEIGH: u32;
export declare const BPF_FIB_LOOKUP_TBID: u32;
export declare const BPF_FIB_LOOKUP_SRC: u32;
export declare const BPF_FIB_LOOKUP_MARK: u32;

// ---- checksums: values are in host order, as header fields read; so are the results

/** bpf_csum_diff over two 4-byte values: seed + to - from as a one's complement partial sum (fold it with csumFold). */
export declare function csumDiff(from: u32, to: u32, seed: u32): u32;
/** csum_fold: a partial sum folded to 16 bits and inverted (a checksum field's value). */
export declare function csumFold(sum: u32): u16;
/** The checksum after a 16-bit word it covers changes from `from` to `to` (csum_replace2, RFC 1624). */
export declare function csumReplace2(check: u16, from: u16, to: u16): u16;
/** The checksum after a 32-bit value it covers (an address, two ports) changes from `from` to `to` (csum_replace4). */
export declare function csumReplace4(check: u16, from: u32, to: u32): u16;

// ---- logging: a string literal or a template literal with integer `${}` parts or formatters

export declare function error(message: string): void;
export declare function warn(message: string): void;
export declare function info(message: string): void;
export declare function debug(message: string): void;
export declare function trace(message: string): void;

/** Format a host-order u32 as a dotted IPv4 address (log templates only). */
export declare function ipv4(addr: u32): string;
/** Log formatter: an Ipv6Addr printed as RFC 5952 text (2001:db8::1). */
export declare function ipv6(addr: Ipv6Addr): string;
/** Format as lower-case hex (log templates only). */
export declare function hex(value: u64): string;
/** Format the low 48 bits as a MAC address (log templates only). */
export declare function mac(addr: u64): string;
