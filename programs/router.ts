// An XDP router: IPv4 and IPv6 packets whose route and next hop the kernel's FIB knows
// (fibLookup: bpf_fib_lookup) are forwarded here — TTL or hop limit decremented (the IPv4
// checksum updated with csumReplace2), MACs rewritten, sent out of the route's interface with
// redirect(). The rest goes to the stack: no route, a neighbour not resolved yet (the stack
// resolves it, the next packets take the fast path), a TTL about to expire, too big for the MTU.
// STATS counts the lookups by their result code (index 0: forwarded).
import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, Ipv6Hdr, ETH_P_IP, ETH_P_IPV6, ArrayMap, u16, u32, u64 } from "tsebpf";
import { fibLookup, redirect, csumReplace2, AF_INET, AF_INET6, BPF_FIB_LKUP_RET_SUCCESS } from "tsebpf";

export const STATS = new ArrayMap<u32, u64>(16);

export function xdp_router(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  if (eth.etherType === ETH_P_IP) {
    const ip = ctx.header(Ipv4Hdr, EthHdr.size);
    if (ip === null || ip.ttl <= 1) return XdpAction.Pass;
    const fib = fibLookup(ctx, {
      family: AF_INET,
      ifindex: ctx.ingressIfindex,
      tos: ip.tos,
      l4Protocol: ip.protocol,
      totLen: ip.totalLen,
      ipv4Src: ip.srcAddr,
      ipv4Dst: ip.dstAddr
    }, 0);
    STATS.add(fib.ret as u32, 1);
    if (fib.ret !== BPF_FIB_LKUP_RET_SUCCESS) return XdpAction.Pass;
    const ttl = ip.ttl;
    ip.checksum = csumReplace2(ip.checksum, (ttl << 8) | ip.protocol, ((ttl - 1) << 8) | ip.protocol);
    ip.ttl = ttl - 1;
    eth.dstMac = fib.dmac;
    eth.srcMac = fib.smac;
    return redirect(fib.ifindex);
  }
  if (eth.etherType !== ETH_P_IPV6) return XdpAction.Pass;
  const ip6 = ctx.header(Ipv6Hdr, EthHdr.size);
  if (ip6 === null || ip6.hopLimit <= 1) return XdpAction.Pass;
  const fib = fibLookup(ctx, {
    family: AF_INET6,
    ifindex: ctx.ingressIfindex,
    l4Protocol: ip6.nextHeader,
    totLen: (ip6.payloadLen + Ipv6Hdr.size) as u16,
    ipv6Src: ip6.srcAddr,
    ipv6Dst: ip6.dstAddr
  }, 0);
  STATS.add(fib.ret as u32, 1);
  if (fib.ret !== BPF_FIB_LKUP_RET_SUCCESS) return XdpAction.Pass;
  ip6.hopLimit = ip6.hopLimit - 1;
  eth.dstMac = fib.dmac;
  eth.srcMac = fib.smac;
  return redirect(fib.ifindex);
}
