// bpf_fib_lookup in the VM: takes the route table a test supplies (destination prefixes with an
// interface, a gateway, the MACs of the interface and of the next hop, an MTU, a metric, a type)
// and a helper call's struct bpf_fib_lookup, and produces what net/core/filter.c's
// bpf_ipv4_fib_lookup/bpf_ipv6_fib_lookup return and write for the cases covered: -EINVAL for a
// short struct or unknown flags, -EAFNOSUPPORT for a family other than AF_INET/AF_INET6,
// -ENODEV for ifindex 0, the longest-prefix match (lowest metric first on equal prefixes), the
// BLACKHOLE/UNREACHABLE/PROHIBIT/NOT_FWDED codes of route types (no route: NOT_FWDED),
// FRAG_NEEDED with the MTU, NO_NEIGH without a next-hop MAC (ifindex, metric and gateway written),
// SUCCESS with ifindex, metric, gateway, MACs, VLAN zeroed and the MTU. Every interface is taken to
// exist and to forward; BPF_FIB_LOOKUP_DIRECT/TBID/MARK/OUTPUT/SRC look up the same one table.
import { AF, FIB_FLAG, FIB_LOOKUP_SIZE, FIB_RET } from "../../compiler/abi.js";
import { parseCidr, parseIpv4, parseIpv6, ipv4Bytes } from "../ip-addr.js";

export interface FibRoute {
  /** Destination prefix: "203.0.113.0/24", "2001:db8:2::/64" (an address alone: a host route). */
  dst: string;
  /** The interface the route sends packets out of (unicast routes). */
  ifindex?: number;
  /** Next hop ("203.0.113.254"): fib_lookup writes it over the destination address. */
  gateway?: string;
  /** MAC of the route's interface (default zeros) and of the next hop ("02:00:00:00:00:01");
   *  without dmac the neighbour is unknown (BPF_FIB_LKUP_RET_NO_NEIGH). */
  smac?: string;
  dmac?: string;
  /** The path MTU (default 1500). */
  mtu?: number;
  /** The route's priority (default 0; `ip -6 route add` gives 1024). */
  metric?: number;
  /** Default unicast; local (an address of this host): NOT_FWDED. */
  type?: "unicast" | "local" | "blackhole" | "unreachable" | "prohibit";
}

interface Route {
  net: Uint8Array;
  prefix: number;
  r: FibRoute;
  gateway?: Uint8Array;
  smac?: Uint8Array;
  dmac?: Uint8Array;
}

const EINVAL = -22,
  ENODEV = -19,
  EAFNOSUPPORT = -97;
const ALL_FLAGS = Object.values(FIB_FLAG).reduce((a, b) => a | b, 0);
const TYPE_RET: Record<string, number> = {
  blackhole: FIB_RET.BLACKHOLE,
  unreachable: FIB_RET.UNREACHABLE,
  prohibit: FIB_RET.PROHIBIT,
  local: FIB_RET.NOT_FWDED,
};
/** Offsets in struct bpf_fib_lookup (compiler/dsl/fib-defs.ts lays it out for the DSL). */
const OFF = { family: 0, totLen: 6, ifindex: 8, metric: 12, src: 16, dst: 32, vlan: 48, smac: 52, dmac: 58 };

function mac(s: string | undefined, what: string): Uint8Array | undefined {
  if (s === undefined) return undefined;
  const parts = s.split(":");
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p)))
    throw new Error(`route ${what}: '${s}' is not a MAC address (02:00:00:00:00:01)`);
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

function address(s: string): Uint8Array | undefined {
  const v4 = parseIpv4(s);
  return v4 !== undefined ? ipv4Bytes(v4) : parseIpv6(s);
}

/** The routes of a test, checked: throws on a bad prefix, gateway or MAC. */
export class FibTable {
  private readonly routes: Route[];

  constructor(routes: readonly FibRoute[]) {
    this.routes = routes.map((r) => {
      const c = parseCidr(r.dst);
      if (!c) throw new Error(`route dst: '${r.dst}' is not an IPv4 or IPv6 prefix`);
      const gateway = r.gateway === undefined ? undefined : address(r.gateway);
      if (r.gateway !== undefined && gateway?.length !== c.bytes.length)
        throw new Error(`route ${r.dst}: gateway '${r.gateway}' is not an address of the same family`);
      const net = c.bytes.map((b, i) => b & maskByte(c.prefix, i));
      return { net, prefix: c.prefix, r, gateway, smac: mac(r.smac, "smac"), dmac: mac(r.dmac, "dmac") };
    });
  }

  /** The longest prefix holding the `len`-byte address at p[at] (its family's length), lowest metric first. */
  match(p: Uint8Array, at: number, len: number): Route | undefined {
    let best: Route | undefined;
    for (const rt of this.routes) {
      if (rt.net.length !== len || !inNet(rt, p, at)) continue;
      if (!best || rt.prefix > best.prefix || (rt.prefix === best.prefix && metric(rt) < metric(best))) best = rt;
    }
    return best;
  }
}

function inNet(rt: Route, p: Uint8Array, at: number): boolean {
  for (let i = 0; i < rt.net.length; i++) if ((p[at + i]! & maskByte(rt.prefix, i)) !== rt.net[i]) return false;
  return true;
}

const metric = (rt: Route) => rt.r.metric ?? 0;

function maskByte(prefix: number, i: number): number {
  const bits = Math.max(0, Math.min(8, prefix - i * 8));
  return (0xff00 >> bits) & 0xff;
}

/** bpf_fib_lookup(ctx, params, plen, flags) on the struct at p[at] (changed in place): the return value. */
export function fibLookup(table: FibTable, p: Uint8Array, at: number, plen: number, flags: number): number {
  if (plen < FIB_LOOKUP_SIZE || flags & ~ALL_FLAGS) return EINVAL;
  const family = p[at + OFF.family];
  const len = family === AF.INET ? 4 : family === AF.INET6 ? 16 : 0;
  if (!len) return EAFNOSUPPORT;
  if (getU32(p, at + OFF.ifindex) === 0) return ENODEV;
  const rt = table.match(p, at + OFF.dst, len);
  if (!rt) return FIB_RET.NOT_FWDED;
  const type = rt.r.type ?? "unicast";
  if (type !== "unicast") return TYPE_RET[type]!;
  const mtu = rt.r.mtu ?? 1500;
  if (p[at + OFF.totLen] + p[at + OFF.totLen + 1] * 256 > mtu) {
    setLe(p, at + OFF.totLen, mtu, 2);
    return FIB_RET.FRAG_NEEDED;
  }
  setLe(p, at + OFF.metric, metric(rt), 4);
  setLe(p, at + OFF.ifindex, rt.r.ifindex ?? 0, 4);
  if (rt.gateway) p.set(rt.gateway, at + OFF.dst);
  if (!(flags & FIB_FLAG.SKIP_NEIGH)) {
    if (!rt.dmac) return FIB_RET.NO_NEIGH;
    p.set(rt.dmac, at + OFF.dmac);
    p.set(rt.smac ?? NO_MAC, at + OFF.smac);
  }
  setLe(p, at + OFF.vlan, 0, 4);
  setLe(p, at + OFF.totLen, mtu, 2);
  return FIB_RET.SUCCESS;
}

const NO_MAC = new Uint8Array(6);
const getU32 = (p: Uint8Array, at: number) => (p[at] | (p[at + 1] << 8) | (p[at + 2] << 16) | (p[at + 3] << 24)) >>> 0;

/** Writes the `size`-byte little-endian v at p[at]. */
function setLe(p: Uint8Array, at: number, v: number, size: number): void {
  for (let i = 0; i < size; i++) p[at + i] = (v >>> (8 * i)) & 0xff;
}
