// A CIDR blocklist: drop IPv4 packets whose source address falls in a prefix stored in the
// LPM trie (key { prefixlen: u32, data: address in network order }, filled from user space).
import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, ETH_P_IP, LpmTrie, u32 } from "tsebpf";

export const CIDR_BLOCKLIST = new LpmTrie<u32, u32>(1024);

export function xdp_cidr(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  return CIDR_BLOCKLIST.has(ip.srcAddr) ? XdpAction.Drop : XdpAction.Pass;
}
