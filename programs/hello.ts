// The Aya book's "Hello XDP": log every packet and let it pass.
import { XdpContext, XdpAction, info } from "tsebpf";

export function xdp_hello(ctx: XdpContext): XdpAction {
  info("received a packet");
  return XdpAction.Pass;
}
