// Rate limiter: a token bucket per IPv4 source. Each source may send MAX_PPS (>= 1) packets a second
// (a burst of MAX_PPS, then one more every 1/MAX_PPS s); beyond that its packets are dropped.
// UDP to the ports in EXEMPT (DNS, NTP, DHCP) always passes. MAX_PPS is a load-time constant:
// `tsebpf run programs/ratelimit.ts --iface eth0 --set MAX_PPS=50` sets it before the program
// loads. The global counters `passed` and `dropped` (.bss) are read with `tsebpf test --json`,
// `bpftool map dump name ratelimi.bss` or `obj.globals()`.
import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, LruHashMap, ETH_P_IP, IPPROTO_UDP } from "tsebpf";
import { u8, u16, u32, u64, FixedArray, config, ktimeNs } from "tsebpf";

/** The packets a source may still send now, and when its bucket was last refilled (ns). */
interface Bucket {
  tokens: u64;
  refilled: u64;
}

const MAX_PPS = config<u32>(1000);
const EXEMPT: FixedArray<u16, 4> = [53, 123, 67, 68];
const SECOND = 1000000000;

let passed: u64 = 0;
let dropped: u64 = 0;

export const BUCKETS = new LruHashMap<u32, Bucket>(65536);

/** Whether the packet is UDP to an exempt port (its UDP header at offset l4). */
function exempt(ctx: XdpContext, protocol: u8, l4: u32): boolean {
  if (protocol !== IPPROTO_UDP) return false;
  const udp = ctx.header(UdpHdr, l4);
  if (udp === null) return false;
  for (const port of EXEMPT) if (udp.dstPort === port) return true;
  return false;
}

export function xdp_ratelimit(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null || exempt(ctx, ip.protocol, EthHdr.size + ip.ihl * 4)) return XdpAction.Pass;
  const now = ktimeNs();
  const b = BUCKETS.get(ip.srcAddr);
  if (b === null) {
    BUCKETS.set(ip.srcAddr, { tokens: MAX_PPS - 1, refilled: now });
    passed += 1;
    return XdpAction.Pass;
  }
  const elapsed = now - b.refilled;
  // whole tokens earned since the last refill (the fraction is kept by not moving `refilled`)
  const earned: u64 = elapsed >= SECOND ? MAX_PPS : (elapsed * MAX_PPS) / SECOND;
  if (earned > 0) {
    b.tokens = b.tokens + earned > MAX_PPS ? MAX_PPS : b.tokens + earned;
    b.refilled = now;
  }
  if (b.tokens === 0) {
    dropped += 1;
    return XdpAction.Drop;
  }
  b.tokens -= 1;
  passed += 1;
  return XdpAction.Pass;
}
