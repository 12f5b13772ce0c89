// Packets for the random-program test: takes a seeded random source, produces a handful of
// frames per program — short frames that fail header checks, IPv4 TCP/UDP/ICMP (with and without
// options, matching and non-matching addresses, ports and TTLs), VLAN-tagged IPv4, IPv6, ARP and
// random bytes. Addresses come from the documentation ranges only.
const ADDRS = [0xc6336401, 0xc6336402, 0xcb007107, 0xc6336480];
const PORTS = [53, 80, 443, 40000, 8];
const TTLS = [1, 64, 128, 255];
const PROTOS = [6, 17, 1, 58, 47];

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function bytes(r: R, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

/** Ethernet header with the given EtherType (and an 802.1Q tag when vlan). */
function ethernet(r: R, etherType: number, vlan: boolean): number[] {
  const macs = [0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, pick(r, [1, 3])];
  if (!vlan) return [...macs, etherType >> 8, etherType & 0xff];
  return [...macs, 0x81, 0x00, 0x00, pick(r, [10, 20]), etherType >> 8, etherType & 0xff];
}

function l4(r: R, proto: number, payload: number): number[] {
  const sp = pick(r, PORTS),
    dp = pick(r, PORTS);
  const ports = [sp >> 8, sp & 0xff, dp >> 8, dp & 0xff];
  if (proto === 6) return [...ports, 0, 0, 1, 0, 0, 0, 0, 0, 0x50, pick(r, [2, 16, 18, 4]), 0xff, 0xff, 0, 0, 0, 0];
  if (proto === 17) return [...ports, 0, 8 + payload, 0, 0];
  return [pick(r, [0, 8, 3]), pick(r, [0, 1]), 0, 0, 0, 7, 0, 1];
}

function ipv4(r: R): number[] {
  const proto = pick(r, PROTOS);
  const opts = r() < 0.2 ? [1, 1, 1, 1] : [];
  const body = [...l4(r, proto, 4), ...bytes(r, 4)];
  const len = 20 + opts.length + body.length;
  const src = pick(r, ADDRS),
    dst = pick(r, ADDRS);
  const ip = [0x40 | (5 + opts.length / 4), 0, len >> 8, len & 0xff, 0, 1, 0x40, 0, pick(r, TTLS), proto, 0, 0];
  for (const a of [src, dst]) ip.push(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
  return [...ip, ...opts, ...body];
}

function ipv6(r: R): number[] {
  const proto = pick(r, [6, 17, 58]);
  const body = [...l4(r, proto, 4), ...bytes(r, 4)];
  const addr = (last: number): number[] => [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), last];
  return [0x60, 0, 0, 0, 0, body.length, proto, pick(r, TTLS), ...addr(1), ...addr(pick(r, [2, 3])), ...body];
}

/** One random frame. */
export function randomFrame(r: R): Uint8Array {
  const k = Math.floor(r() * 10);
  if (k === 0) return bytes(r, 14 + Math.floor(r() * 40)); // random bytes
  if (k === 1) return Uint8Array.from([...ethernet(r, 0x0800, false), ...ipv4(r).slice(0, Math.floor(r() * 24))]); // truncated
  if (k === 2) return Uint8Array.from([...ethernet(r, 0x0806, false), ...bytes(r, 28)]); // ARP
  if (k === 3) return Uint8Array.from([...ethernet(r, 0x86dd, false), ...ipv6(r)]);
  if (k === 4) return Uint8Array.from([...ethernet(r, 0x0800, true), ...ipv4(r)]);
  return Uint8Array.from([...ethernet(r, 0x0800, false), ...ipv4(r)]);
}

export function randomFrames(r: R, n: number): Uint8Array[] {
  return Array.from({ length: n }, () => randomFrame(r));
}
