// Per-protocol packet counts: COUNTERS[p] counts IPv4 packets whose protocol number is p.
import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, ETH_P_IP, PerCpuArray, u32, u64 } from "tsebpf";

export const COUNTERS = new PerCpuArray<u32, u64>(256);

export function xdp_counters(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  COUNTERS.add(ip.protocol, 1);
  return XdpAction.Pass;
}
