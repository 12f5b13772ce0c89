// Port statistics: packets and bytes per well-known port (below 1024; every other port shares slot
// 1024), counted for the source and the destination port of each TCP and UDP packet; a packet with a
// port in BLOCKED is dropped. count() runs from four places, so the compiler emits it once, as a BPF
// subprogram in .text, and calls it (BPF-to-BPF calls; README "Functions").
import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, TcpHdr, UdpHdr, ArrayMap, HashMap, ETH_P_IP } from "tsebpf";
import { IPPROTO_TCP, IPPROTO_UDP, bool, u16, u32, u64 } from "tsebpf";

interface PortStats {
  packets: u64;
  bytes: u64;
}

export const PORTS = new ArrayMap<u32, PortStats>(1025);
export const BLOCKED = new HashMap<u16, u32>(64);

/** Counts a packet of `len` bytes for `port`; true when the port is blocked. */
function count(port: u16, len: u32): bool {
  const slot: u32 = port < 1024 ? port : 1024;
  const s = PORTS.get(slot);
  if (s !== null) {
    s.packets += 1;
    s.bytes += len;
  }
  return BLOCKED.has(port);
}

export function xdp_portstats(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const len = ctx.length;
  const l4 = EthHdr.size + ip.ihl * 4;
  if (ip.protocol === IPPROTO_TCP) {
    const tcp = ctx.header(TcpHdr, l4);
    if (tcp === null) return XdpAction.Pass;
    if (count(tcp.srcPort, len) || count(tcp.dstPort, len)) return XdpAction.Drop;
  } else if (ip.protocol === IPPROTO_UDP) {
    const udp = ctx.header(UdpHdr, l4);
    if (udp === null) return XdpAction.Pass;
    if (count(udp.srcPort, len) || count(udp.dstPort, len)) return XdpAction.Drop;
  }
  return XdpAction.Pass;
}
