// Flow statistics: packets and bytes per IPv4 5-tuple, counted in place. FLOWS.get(key) returns a
// reference to the value in the map (or null), so the counters are updated with no second lookup;
// `+=` on a field of a shared map's value is one atomic instruction, safe across CPUs.
import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, TcpHdr, UdpHdr, HashMap, ETH_P_IP, u8, u16, u32, u64 } from "tsebpf";
import { IPPROTO_TCP, IPPROTO_UDP } from "tsebpf";

/** The key: laid out as C lays it out (proto is followed by one padding byte, zeroed). */
interface FlowKey {
  srcAddr: u32;
  dstAddr: u32;
  srcPort: u16;
  dstPort: u16;
  proto: u8;
}

interface FlowStats {
  packets: u64;
  bytes: u64;
}

export const FLOWS = new HashMap<FlowKey, FlowStats>(65536);

function ports(ctx: XdpContext, key: FlowKey, offset: u32): void {
  if (key.proto === IPPROTO_TCP) {
    const tcp = ctx.header(TcpHdr, offset);
    if (tcp === null) return;
    key.srcPort = tcp.srcPort;
    key.dstPort = tcp.dstPort;
  } else if (key.proto === IPPROTO_UDP) {
    const udp = ctx.header(UdpHdr, offset);
    if (udp === null) return;
    key.srcPort = udp.srcPort;
    key.dstPort = udp.dstPort;
  }
}

export function xdp_flowstats(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const key: FlowKey = { srcAddr: ip.srcAddr, dstAddr: ip.dstAddr, srcPort: 0, dstPort: 0, proto: ip.protocol };
  ports(ctx, key, EthHdr.size + ip.ihl * 4);
  const stats = FLOWS.get(key);
  if (stats === null) {
    FLOWS.set(key, { packets: 1, bytes: ctx.length });
  } else {
    stats.packets += 1;
    stats.bytes += ctx.length;
  }
  return XdpAction.Pass;
}
