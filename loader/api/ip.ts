// `ip("198.51.100.7")`: an IPv4 address as the host-order u32 that XDP programs compare against
// (ip.srcAddr in the DSL reads the header in host order); `ip("2001:db8::1")`: an IPv6 address as
// its 16 bytes in network order (as a 16-byte map key holds it).
import { LoaderError } from "../errors.js";
import { parseIpv4, parseIpv6 } from "../ip-addr.js";

export function ip(address: `${number}.${number}.${number}.${number}`): number;
export function ip(address: `${string}:${string}`): Uint8Array;
export function ip(address: string): number | Uint8Array;
export function ip(address: string): number | Uint8Array {
  const v = parseIpv4(address) ?? parseIpv6(address);
  if (v === undefined) throw new LoaderError("bad-address", "", `'${address}' is not an IPv4 or IPv6 address`);
  return v;
}
