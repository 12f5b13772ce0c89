// The Aya book's firewall: drop packets whose IPv4 source address (host order) is in BLOCKLIST.
import { XdpAction, EthHdr, Ipv4Hdr, ETH_P_IP, HashMap, info, ipv4 } from "tsebpf";
export const BLOCKLIST = new HashMap(1024);
export function xdp_firewall(ctx) {
    const eth = ctx.header(EthHdr, 0);
    if (eth === null || eth.etherType !== ETH_P_IP)
        return XdpAction.Pass;
    const ip = ctx.header(Ipv4Hdr, EthHdr.size);
    if (ip === null)
        return XdpAction.Pass;
    const source = ip.srcAddr;
    const action = BLOCKLIST.has(source) ? XdpAction.Drop : XdpAction.Pass;
    info(`SRC: ${ipv4(source)}, ACTION: ${action}`);
    return action;
}
