// bpf_fib_lookup in the DSL: takes the kernel's struct bpf_fib_lookup (uapi/linux/bpf.h, 64 bytes)
// and produces its C layout as a DSL struct, the fields of `FibParams` (the object literal a
// program passes to fibLookup: each one a member of the kernel struct, in host or network order)
// and the struct `FibResult` that fibLookup gives back (host-order values: the kernel struct's
// outputs where they are host-order integers, the code and the MACs stored after it). Plain data, read by the checker, the lowering and the d.ts test.
import type { IntName, StructType } from "./ast.js";
import { FIB_LOOKUP_SIZE } from "../abi.js";
import { INT_TYPES, IPV6_ADDR } from "./catalog.js";
import { arrayOf, layoutStruct } from "./layout.js";

const { u8, u16, u32, u64, i32 } = INT_TYPES;

/** struct bpf_fib_lookup with the inputs' members of its unions: tot_len (output mtu_result),
 * tos/flowinfo (output rt_metric), ipv4_src/ipv6_src, ipv4_dst/ipv6_dst (output: the gateway),
 * tbid (output h_vlan_proto, h_vlan_TCI) and mark (output smac[6], dmac[6] from byte 52). */
export const BPF_FIB_LOOKUP: StructType = layoutStruct("bpf_fib_lookup", [
  { name: "family", type: u8 },
  { name: "l4_protocol", type: u8 },
  { name: "sport", type: u16 },
  { name: "dport", type: u16 },
  { name: "tot_len", type: u16 },
  { name: "ifindex", type: u32 },
  { name: "flowinfo", type: u32 },
  { name: "src", type: arrayOf(u8, 16) },
  { name: "dst", type: arrayOf(u8, 16) },
  { name: "tbid", type: u32 },
  { name: "mark", type: u32 },
  { name: "pad", type: arrayOf(u8, 8) },
]);
if (BPF_FIB_LOOKUP.size !== FIB_LOOKUP_SIZE) throw new Error("struct bpf_fib_lookup is not 64 bytes");

/** The byte offset of a member of struct bpf_fib_lookup. */
export function fibOffset(member: string): number {
  const f = BPF_FIB_LOOKUP.fields.find((x) => x.name === member);
  if (!f) throw new Error(`struct bpf_fib_lookup has no member ${member}`);
  return f.offset;
}

/** Output members that share bytes with inputs: smac and dmac over mark and the 8 bytes after it. */
export const FIB_OUT = {
  ifindex: fibOffset("ifindex"),
  mtu: fibOffset("tot_len"),
  metric: fibOffset("flowinfo"),
  smac: fibOffset("mark"),
  dmac: fibOffset("mark") + 6,
} as const;

/** A FibParams field: the member it fills, its type (Ipv6Addr: 16 bytes copied), whether the
 * kernel wants it in network order (the value is given in host order, as header fields read). */
export interface FibParam {
  member: string;
  type: IntName | "Ipv6Addr";
  net: boolean;
  required?: boolean;
  doc: string;
}

const p = (member: string, type: FibParam["type"], net: boolean, doc: string, required?: true): FibParam =>
  required ? { member, type, net, doc, required } : { member, type, net, doc };

/** The fields of FibParams; fields naming the same member (a union of the kernel's) exclude each other. */
export const FIB_PARAMS: Record<string, FibParam> = Object.assign(Object.create(null) as Record<string, FibParam>, {
  family: p("family", "u8", false, "AF_INET or AF_INET6", true),
  ifindex: p("ifindex", "u32", false, "the interface the lookup is for (ctx.ingressIfindex)", true),
  l4Protocol: p("l4_protocol", "u8", false, "IPPROTO_* for policy routing rules"),
  sport: p("sport", "u16", true, "source port for policy routing rules"),
  dport: p("dport", "u16", true, "destination port for policy routing rules"),
  totLen: p("tot_len", "u16", false, "L3 length for the MTU check (Ipv4Hdr.totalLen); 0: no check"),
  tos: p("flowinfo", "u8", false, "IPv4 type of service"),
  flowinfo: p("flowinfo", "u32", true, "IPv6 flow label and priority"),
  ipv4Src: p("src", "u32", true, "IPv4 source address"),
  ipv4Dst: p("dst", "u32", true, "IPv4 destination address"),
  ipv6Src: p("src", "Ipv6Addr", false, "IPv6 source address"),
  ipv6Dst: p("dst", "Ipv6Addr", false, "IPv6 destination address"),
  tbid: p("tbid", "u32", false, "routing table id (with BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_TBID)"),
  mark: p("mark", "u32", false, "fwmark for policy routing (with BPF_FIB_LOOKUP_MARK)"),
});

export const FIB_PARAM_TYPE = (t: FibParam["type"]) => (t === "Ipv6Addr" ? IPV6_ADDR : INT_TYPES[t]);

/** What fibLookup returns: the helper's code and the outputs, read in host order (MACs as the
 * 48-bit values EthHdr.srcMac/dstMac take). Its place is the kernel struct itself followed by ret:
 * ifindex, mtu, metric and the MACs (6 wire bytes each, `mac`) are read where the helper wrote them,
 * so `eth.dstMac = fib.dmac` copies bytes. Fields in offset order (the dmac's 8 nominal bytes reach
 * into ret's, but a MAC field is read and written as 6). */
export const FIB_RESULT: StructType = {
  kind: "struct",
  name: "FibResult",
  fields: [
    { name: "mtu", type: u16, offset: FIB_OUT.mtu },
    { name: "ifindex", type: u32, offset: FIB_OUT.ifindex },
    { name: "metric", type: u32, offset: FIB_OUT.metric },
    { name: "smac", type: u64, offset: FIB_OUT.smac, mac: true },
    { name: "dmac", type: u64, offset: FIB_OUT.dmac, mac: true },
    { name: "ret", type: i32, offset: FIB_LOOKUP_SIZE },
  ],
  size: FIB_LOOKUP_SIZE + 8,
  align: 8,
};
