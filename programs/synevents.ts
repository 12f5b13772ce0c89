// TCP connection attempts: every TCP SYN (without ACK) over IPv4 is reported to user space as a
// SynEvent record written in place in the SYNS ring buffer — reserve() a record, fill in its
// fields, then submit() it, or discard() it when the destination port is listed in QUIET (ports
// whose connection attempts are not worth a record). `tsebpf run` prints one JSON line per record;
// the library's SYNS.records() yields them as objects. A full ring gives no record: the program
// counts those in LOST. Every packet passes.
import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, TcpHdr, RingBuf, HashMap, PerCpuArray } from "tsebpf";
import { ETH_P_IP, IPPROTO_TCP, ktimeNs, u8, u16, u32, u64 } from "tsebpf";

const SYN = 0x02;
const ACK = 0x10;

/** One connection attempt, laid out as C lays it out (24 bytes, no padding). */
interface SynEvent {
  srcAddr: u32;
  dstAddr: u32;
  srcPort: u16;
  dstPort: u16;
  window: u16;
  ttl: u8;
  flags: u8;
  timestampNs: u64;
}

export const SYNS = new RingBuf<SynEvent>(65536);
export const QUIET = new HashMap<u16, u8>(64);
export const LOST = new PerCpuArray<u32, u64>(1);

export function xdp_synevents(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null || ip.protocol !== IPPROTO_TCP) return XdpAction.Pass;
  const tcp = ctx.header(TcpHdr, EthHdr.size + ip.ihl * 4);
  if (tcp === null || (tcp.flags & (SYN | ACK)) !== SYN) return XdpAction.Pass;
  const e = SYNS.reserve();
  if (e === null) {
    LOST.add(0, 1); // the ring is full
    return XdpAction.Pass;
  }
  e.srcAddr = ip.srcAddr;
  e.dstAddr = ip.dstAddr;
  e.srcPort = tcp.srcPort;
  e.dstPort = tcp.dstPort;
  e.window = tcp.window;
  e.ttl = ip.ttl;
  e.flags = tcp.flags;
  e.timestampNs = ktimeNs();
  if (QUIET.has(e.dstPort)) SYNS.discard(e);
  else SYNS.submit(e);
  return XdpAction.Pass;
}
