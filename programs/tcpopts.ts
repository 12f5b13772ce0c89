// A TCP-options parser: walks the options of IPv4 TCP SYNs (kind, length, value, read with
// ctx.loadU8/loadU16 at variable offsets), drops SYNs whose MSS option is below MIN_MSS and
// counts SYNs, SYNs with a window-scale option and drops in OPTION_STATS. The options are walked
// by a loop of at most MAX_OPTIONS rounds that leaves with `break` and skips a NOP with `continue`,
// as the C twin (fixtures/c-twins/tcpopts.c) does.
import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, TcpHdr, ETH_P_IP, IPPROTO_TCP, ArrayMap, u32, u64 } from "tsebpf";

/** OPTION_STATS[0]: SYNs seen; [1]: SYNs with a window-scale option; [2]: SYNs dropped for their MSS. */
export const OPTION_STATS = new ArrayMap<u32, u64>(4);

const MIN_MSS = 536;
// Options walked per SYN: Linux sends 5, other systems up to 9; 40 covers any list (2,400 instructions).
const MAX_OPTIONS = 16;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const OPT_END = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;

export function xdp_tcpopts(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null || ip.protocol !== IPPROTO_TCP) return XdpAction.Pass;
  const l4: u32 = EthHdr.size + ip.ihl * 4;
  const tcp = ctx.header(TcpHdr, l4);
  if (tcp === null || (tcp.flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return XdpAction.Pass;
  OPTION_STATS.add(0, 1);

  const end: u32 = l4 + tcp.dataOffset * 4;
  let off: u32 = l4 + TcpHdr.size;
  let mss: u32 = 0; // 0: no MSS option
  let wscale = false;
  for (let i = 0; i < MAX_OPTIONS; i++) {
    if (off >= end) break;
    const kind = ctx.loadU8(off) ?? OPT_END; // past the packet: stop
    if (kind === OPT_END) break;
    if (kind === OPT_NOP) {
      off += 1;
      continue;
    }
    const len = ctx.loadU8(off + 1) ?? 0;
    if (len < 2) break; // malformed
    if (kind === OPT_MSS && len === 4) mss = ctx.loadU16(off + 2) ?? 0;
    if (kind === OPT_WSCALE && len === 3) wscale = true;
    off += len;
  }
  if (wscale) OPTION_STATS.add(1, 1);
  if (mss !== 0 && mss < MIN_MSS) {
    OPTION_STATS.add(2, 1);
    return XdpAction.Drop;
  }
  return XdpAction.Pass;
}
