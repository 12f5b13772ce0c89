// An IPv6+IPv4 CIDR blocklist: drop packets whose source address falls in a prefix of one of two
// LPM tries (keys { prefixlen: u32, data: address in network order }, filled from user space, e.g.
// `tsebpf run --block 2001:db8:bad::/48 --block 198.51.100.0/24`); count drops per IPv6 source
// and log each one.
import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, Ipv6Hdr, Ipv6Addr, ETH_P_IP, ETH_P_IPV6 } from "tsebpf";
import { HashMap, LpmTrie, info, ipv4, ipv6, u32, u64 } from "tsebpf";

export const CIDR4 = new LpmTrie<u32, u32>(1024);
export const CIDR6 = new LpmTrie<Ipv6Addr, u32>(1024);
export const DROPS6 = new HashMap<Ipv6Addr, u64>(1024);

export function xdp_cidr6(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  if (eth.etherType === ETH_P_IP) {
    const ip = ctx.header(Ipv4Hdr, EthHdr.size);
    if (ip === null || !CIDR4.has(ip.srcAddr)) return XdpAction.Pass;
    info(`drop ${ipv4(ip.srcAddr)}`);
    return XdpAction.Drop;
  }
  if (eth.etherType !== ETH_P_IPV6) return XdpAction.Pass;
  const ip6 = ctx.header(Ipv6Hdr, EthHdr.size);
  if (ip6 === null) return XdpAction.Pass;
  const src = ip6.srcAddr;
  if (!CIDR6.has(src)) return XdpAction.Pass;
  DROPS6.add(src, 1);
  info(`drop ${ipv6(src)}`);
  return XdpAction.Drop;
}
