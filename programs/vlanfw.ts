// VLAN-aware firewall: follows up to two VLAN tags (802.1ad or 802.1Q, then 802.1Q) to the IPv4
// header, counts packets and IPv4 bytes per VLAN id (0: untagged) in account(), a global function
// (exported: the kernel verifies it once, on its own, from its BTF prototype; README "Global
// functions"), and drops the packet when refused() refuses its IPv4 header — or, for IP-in-IP, the
// inner one: an expiring TTL, a fragment or a source address (host order) in BLOCKED. refused() takes
// the header view (`ip: Ipv4Hdr`) and is called from two places, so it is a static BPF subprogram.
import { XdpContext, XdpAction, EthHdr, VlanHdr, Ipv4Hdr, ArrayMap, HashMap } from "tsebpf";
import { ETH_P_IP, ETH_P_8021Q, ETH_P_8021AD, bool, u16, u32, u64 } from "tsebpf";

const IPPROTO_IPIP = 4;

interface VlanStats {
  packets: u64;
  bytes: u64;
}

export const VLANS = new ArrayMap<u32, VlanStats>(4096);
export const BLOCKED = new HashMap<u32, u32>(1024);

/** Counts the packet for VLAN `vid` (its IPv4 total length as bytes). */
export function account(ip: Ipv4Hdr, vid: u32): void {
  const s = VLANS.get(vid);
  if (s === null) return;
  s.packets += 1;
  s.bytes += ip.totalLen;
}

/** Whether an IPv4 header is refused: an expiring TTL, a fragment or a blocked source. */
function refused(ip: Ipv4Hdr): bool {
  if (ip.ttl <= 1 || (ip.fragOff & 0x3fff) !== 0) return true;
  return BLOCKED.has(ip.srcAddr);
}

export function xdp_vlanfw(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  let type = eth.etherType;
  let off: u32 = EthHdr.size;
  let tci: u16 = 0;
  for (let i = 0; i < 2; i++) {
    if (type !== ETH_P_8021Q && (i > 0 || type !== ETH_P_8021AD)) break;
    const tag = ctx.header(VlanHdr, off);
    if (tag === null) return XdpAction.Pass;
    tci = tag.tci;
    type = tag.etherType;
    off += VlanHdr.size;
  }
  if (type !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, off);
  if (ip === null) return XdpAction.Pass;
  account(ip, tci & 0xfff);
  if (refused(ip)) return XdpAction.Drop;
  if (ip.protocol !== IPPROTO_IPIP) return XdpAction.Pass;
  const inner = ctx.header(Ipv4Hdr, off + ip.ihl * 4);
  if (inner === null) return XdpAction.Pass;
  return refused(inner) ? XdpAction.Drop : XdpAction.Pass;
}
