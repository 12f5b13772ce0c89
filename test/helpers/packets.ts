// Hand-built Ethernet/IPv4/IPv6/TCP/UDP frames for the kernel tests (addresses from the
// documentation ranges only), and little-endian map keys/values.
import { parseIpv6 } from "../../loader/ip-addr.js";

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;

export function ip4(s: string): number {
  return s.split(".").reduce((a, o) => a * 256 + Number(o), 0);
}

function ipChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface FrameOpts {
  etherType?: number;
  src?: string;
  dst?: string;
  proto?: number; // 6 TCP, 17 UDP, 1 ICMP
  srcPort?: number;
  dstPort?: number;
  payload?: number; // bytes of payload after the L4 header
  tcpFlags?: number; // TCP: the flags byte (SYN 2, ACK 16)
  window?: number; // TCP: the receive window
}

/** An Ethernet frame carrying IPv4 and a TCP/UDP/other header. */
export function frame(o: FrameOpts = {}): Uint8Array {
  const proto = o.proto ?? 17;
  const l4len = proto === 6 ? 20 : proto === 17 ? 8 : 8;
  const payload = o.payload ?? 4;
  const ipLen = 20 + l4len + payload;
  const b = new Uint8Array(14 + ipLen);
  const v = new DataView(b.buffer);
  b.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1], 0);
  v.setUint16(12, o.etherType ?? ETH_P_IP);
  const ip = 14;
  v.setUint8(ip, 0x45);
  v.setUint16(ip + 2, ipLen);
  v.setUint8(ip + 8, 64);
  v.setUint8(ip + 9, proto);
  v.setUint32(ip + 12, ip4(o.src ?? "198.51.100.1"));
  v.setUint32(ip + 16, ip4(o.dst ?? "198.51.100.2"));
  v.setUint16(ip + 10, ipChecksum(b.subarray(ip, ip + 20)));
  const l4 = ip + 20;
  v.setUint16(l4, o.srcPort ?? 40000);
  v.setUint16(l4 + 2, o.dstPort ?? 53);
  if (proto === 17) v.setUint16(l4 + 4, 8 + payload);
  if (proto === 6) v.setUint8(l4 + 12, 0x50);
  if (proto === 6) v.setUint8(l4 + 13, o.tcpFlags ?? 0);
  if (proto === 6) v.setUint16(l4 + 14, o.window ?? 0);
  return b;
}

/** An Ethernet frame with an IPv6 header (UDP, 8 payload bytes) from src to dst. */
export function frame6(src: string, dst: string): Uint8Array {
  const b = new Uint8Array(14 + 40 + 8);
  const v = new DataView(b.buffer);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
  v.setUint16(12, 0x86dd);
  v.setUint8(14, 0x60);
  v.setUint16(18, 8);
  v.setUint8(20, 17);
  v.setUint8(21, 64);
  b.set(parseIpv6(src)!, 22);
  b.set(parseIpv6(dst)!, 38);
  return b;
}

export function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

export interface CaptureOpts {
  linkType?: number; // default 1 (Ethernet)
  bigEndian?: boolean;
  /** Original (wire) length of packet i; default its captured length. */
  wireLen?: (i: number) => number;
}

/** A classic pcap file (µs timestamps) holding the packets. */
export function pcapFile(packets: Uint8Array[], o: CaptureOpts = {}): Buffer {
  const w = writer(o.bigEndian);
  const head = [w.u32(0xa1b2c3d4), w.u16(2), w.u16(4), w.u32(0), w.u32(0), w.u32(65535), w.u32(o.linkType ?? 1)];
  return Buffer.concat([
    ...head,
    ...packets.flatMap((p, i) => [
      w.u32(0),
      w.u32(0),
      w.u32(p.length),
      w.u32(o.wireLen?.(i) ?? p.length),
      Buffer.from(p),
    ]),
  ]);
}

/**
 * A pcapng file: Section Header, one Interface Description, then an Enhanced Packet Block per
 * packet (or Simple Packet Blocks with `simple`), plus an Interface Statistics Block to skip.
 */
export function pcapngFile(packets: Uint8Array[], o: CaptureOpts & { simple?: boolean } = {}): Buffer {
  const w = writer(o.bigEndian);
  const block = (type: number, body: Buffer[]) => {
    const b = Buffer.concat(body);
    const padded = Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
    return [w.u32(type), w.u32(padded.length + 12), padded, w.u32(padded.length + 12)];
  };
  const shb = block(0x0a0d0d0a, [w.u32(0x1a2b3c4d), w.u16(1), w.u16(0), Buffer.alloc(8, 0xff)]);
  const idb = block(1, [w.u16(o.linkType ?? 1), w.u16(0), w.u32(0)]);
  const pkts = packets.flatMap((p, i) => {
    const len = o.wireLen?.(i) ?? p.length;
    return o.simple
      ? block(3, [w.u32(len), Buffer.from(p)])
      : block(6, [w.u32(0), w.u32(0), w.u32(0), w.u32(p.length), w.u32(len), Buffer.from(p)]);
  });
  const isb = block(5, [w.u32(0), w.u32(0), w.u32(0)]);
  return Buffer.concat([...shb, ...idb, ...pkts, ...isb]);
}

function writer(bigEndian = false) {
  return {
    u16: (v: number) => {
      const b = Buffer.alloc(2);
      bigEndian ? b.writeUInt16BE(v) : b.writeUInt16LE(v);
      return b;
    },
    u32: (v: number) => {
      const b = Buffer.alloc(4);
      bigEndian ? b.writeUInt32BE(v >>> 0) : b.writeUInt32LE(v >>> 0);
      return b;
    },
  };
}

/** An IPv4 TCP frame with these flags (SYN 0x02) and option bytes (padded with EOL to 4-byte words). */
export function tcpFrame(options: number[], flags = 0x02): Uint8Array {
  const opts = [...options];
  while (opts.length % 4) opts.push(0);
  const f = frame({ proto: 6, payload: 0 });
  const b = new Uint8Array(f.length + opts.length);
  b.set(f);
  b.set(opts, f.length);
  const v = new DataView(b.buffer);
  v.setUint16(16, 40 + opts.length); // IPv4 total length
  v.setUint8(14 + 20 + 12, (5 + opts.length / 4) << 4);
  v.setUint8(14 + 20 + 13, flags);
  return b;
}
