// The Aya book's parsing chapter: log the source IPv4 address and source port of TCP/UDP packets.
import {
  XdpContext, XdpAction, EthHdr, Ipv4Hdr, TcpHdr, UdpHdr, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, info, ipv4, u16,
} from "tsebpf";

export function xdp_parse(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const source = ip.srcAddr;
  let port: u16 = 0;
  if (ip.protocol === IPPROTO_TCP) {
    const tcp = ctx.header(TcpHdr, EthHdr.size + Ipv4Hdr.size);
    if (tcp === null) return XdpAction.Pass;
    port = tcp.srcPort;
  } else if (ip.protocol === IPPROTO_UDP) {
    const udp = ctx.header(UdpHdr, EthHdr.size + Ipv4Hdr.size);
    if (udp === null) return XdpAction.Pass;
    port = udp.srcPort;
  } else {
    return XdpAction.Pass;
  }
  info(`SRC IP: ${ipv4(source)}, SRC PORT: ${port}`);
  return XdpAction.Pass;
}
