// ICMP drop events: drops ICMP echo requests (ping) and reports each drop to user space as a
// struct record on the EVENTS ring buffer — `tsebpf run` prints one JSON line per record with the
// field names below, `tsebpf test` shows them per packet, the library's EVENTS.records() yields
// them as objects. output() returns false when the ring is full: the program counts those lost
// events in LOST (read it with the API or bpftool map dump).
import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, IcmpHdr, RingBuf, PerCpuArray, ETH_P_IP, IPPROTO_ICMP } from "tsebpf";
import { ktimeNs, u8, u16, u32, u64 } from "tsebpf";

const ICMP_ECHO_REQUEST = 8;

/** One dropped packet, laid out as C lays it out (16 bytes, no padding). */
interface DropEvent {
  srcAddr: u32;
  type: u8;
  code: u8;
  totalLen: u16;
  timestampNs: u64;
}

export const EVENTS = new RingBuf<DropEvent>(65536);
export const LOST = new PerCpuArray<u32, u64>(1);

export function xdp_icmpevents(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null || ip.protocol !== IPPROTO_ICMP) return XdpAction.Pass;
  const icmp = ctx.header(IcmpHdr, EthHdr.size + ip.ihl * 4);
  if (icmp === null || icmp.type !== ICMP_ECHO_REQUEST) return XdpAction.Pass;
  const ev: DropEvent = {
    srcAddr: ip.srcAddr,
    type: icmp.type,
    code: icmp.code,
    totalLen: ip.totalLen,
    timestampNs: ktimeNs(),
  };
  if (!EVENTS.output(ev)) LOST.add(0, 1);
  return XdpAction.Drop;
}
