// `ip("198.51.100.7")`: an IPv4 address as the host-order u32 that XDP programs compare against
// (ip.srcAddr in the DSL reads the header in host order).
import { LoaderError } from "../errors.js";
import { parseIpv4 } from "../map-codec.js";

export function ip(address: string): number {
  const v = parseIpv4(address);
  if (v === undefined) throw new LoaderError("bad-address", "", `'${address}' is not an IPv4 address`);
  return v;
}
