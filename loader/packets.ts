// Packet files: takes the bytes of a pcap, pcapng or raw-packet file and produces Ethernet frames.
// Capture files must have Ethernet link types (others are refused by name, e.g. Linux cooked
// captures); packets captured shorter than they were on the wire produce a warning. A malformed
// file is a LoaderError (code "packet-file") naming the file and the offset.
import { LoaderError } from "./errors.js";

const LINKTYPE_ETHERNET = 1;
/** Link types people meet in practice (tcpdump's LINKTYPE_* names). */
const LINKTYPE_NAMES: Record<number, string> = {
  0: "NULL",
  1: "ETHERNET",
  9: "PPP",
  101: "RAW",
  105: "IEEE802_11",
  108: "LOOP",
  113: "LINUX_SLL",
  127: "IEEE802_11_RADIOTAP",
  228: "IPV4",
  229: "IPV6",
  276: "LINUX_SLL2",
};

const PCAP_MAGICS = [0xa1b2c3d4, 0xa1b23c4d]; // microsecond, nanosecond timestamps
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

export type Warn = (message: string) => void;

/** The packets of a file: every packet of a pcap or pcapng capture, else the whole file as one packet. */
export function packetsOfFile(file: string, bytes: Uint8Array, warn: Warn): Uint8Array[] {
  const magic = bytes.length >= 4 ? Buffer.from(bytes.subarray(0, 4)).readUInt32LE(0) : -1;
  if (magic === PCAPNG_SHB) return parsePcapng(bytes, file, warn);
  if (PCAP_MAGICS.some((m) => m === magic || m === Buffer.from(bytes.subarray(0, 4)).readUInt32BE(0)))
    return parsePcap(bytes, file, warn);
  if (/\.pcap(ng)?$/i.test(file))
    throw new LoaderError("packet-file", file, `not a pcap or pcapng file (bad magic at offset 0)`);
  return [bytes];
}

function linkTypeName(t: number): string {
  return `linktype ${t}${LINKTYPE_NAMES[t] ? ` (${LINKTYPE_NAMES[t]})` : ""}`;
}

function requireEthernet(file: string, linkType: number, offset: number): void {
  if (linkType !== LINKTYPE_ETHERNET)
    throw new LoaderError(
      "packet-file",
      file,
      `${linkTypeName(linkType)} is not Ethernet (at offset ${offset}); XDP programs see Ethernet frames, so capture on an Ethernet interface (not 'any')`,
    );
}

function checkLength(file: string, n: number, caplen: number, len: number, warn: Warn): void {
  if (caplen < len)
    warn(`${file}: packet ${n} was captured with ${caplen} of its ${len} bytes (snapshot length); it runs truncated`);
}

/** Classic pcap: 24-byte header (magic, version, snaplen, link type), then 16-byte record headers. */
export function parsePcap(bytes: Uint8Array, file: string, warn: Warn = () => {}): Uint8Array[] {
  const b = Buffer.from(bytes);
  if (b.length < 24) throw new LoaderError("packet-file", file, `truncated pcap header (${b.length} of 24 bytes)`);
  const le = PCAP_MAGICS.includes(b.readUInt32LE(0));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  requireEthernet(file, u32(20) & 0xffff, 20);
  const out: Uint8Array[] = [];
  for (let o = 24; o < b.length; ) {
    if (o + 16 > b.length) throw new LoaderError("packet-file", file, `truncated packet header at offset ${o}`);
    const caplen = u32(o + 8),
      len = u32(o + 12);
    if (o + 16 + caplen > b.length)
      throw new LoaderError("packet-file", file, `truncated packet data at offset ${o + 16}`);
    out.push(new Uint8Array(b.subarray(o + 16, o + 16 + caplen)));
    checkLength(file, out.length, caplen, len, warn);
    o += 16 + caplen;
  }
  if (!out.length) throw new LoaderError("packet-file", file, `the pcap holds no packets`);
  return out;
}

interface Section {
  u16(o: number): number;
  u32(o: number): number;
  interfaces: { linkType: number; snaplen: number; offset: number }[];
}

/**
 * pcapng: a sequence of blocks (type, total length, body, total length). A Section Header Block
 * sets the byte order and starts a new list of Interface Description Blocks; Enhanced (and the
 * obsolete) Packet Blocks name their interface, Simple Packet Blocks use interface 0.
 */
export function parsePcapng(bytes: Uint8Array, file: string, warn: Warn = () => {}): Uint8Array[] {
  const b = Buffer.from(bytes);
  const out: Uint8Array[] = [];
  let sec: Section | undefined;
  for (let o = 0; o < b.length; ) {
    if (o + 12 > b.length) throw new LoaderError("packet-file", file, `truncated pcapng block at offset ${o}`);
    if (b.readUInt32LE(o) === PCAPNG_SHB) sec = sectionAt(b, o, file);
    if (!sec) throw new LoaderError("packet-file", file, `not a pcapng file (no Section Header Block at offset 0)`);
    const type = sec.u32(o),
      total = sec.u32(o + 4);
    if (total < 12 || total % 4 || o + total > b.length)
      throw new LoaderError("packet-file", file, `bad pcapng block length ${total} at offset ${o + 4}`);
    const packet = blockPacket(sec, type, o, total, file);
    if (packet) {
      out.push(new Uint8Array(b.subarray(packet.at, packet.at + packet.caplen)));
      checkLength(file, out.length, packet.caplen, packet.len, warn);
    }
    o += total;
  }
  if (!out.length) throw new LoaderError("packet-file", file, `the pcapng file holds no packets`);
  return out;
}

function sectionAt(b: Buffer, o: number, file: string): Section {
  if (o + 12 > b.length) throw new LoaderError("packet-file", file, `truncated Section Header Block at offset ${o}`);
  const bom = b.readUInt32LE(o + 8);
  if (bom !== PCAPNG_BOM && bom !== 0x4d3c2b1a)
    throw new LoaderError("packet-file", file, `bad pcapng byte-order magic at offset ${o + 8}`);
  const le = bom === PCAPNG_BOM;
  return {
    u16: (x) => (le ? b.readUInt16LE(x) : b.readUInt16BE(x)),
    u32: (x) => (le ? b.readUInt32LE(x) : b.readUInt32BE(x)),
    interfaces: [],
  };
}

/** The packet a block carries (data offset, captured and original length), after checking its interface. */
function blockPacket(
  sec: Section,
  type: number,
  o: number,
  total: number,
  file: string,
): { at: number; caplen: number; len: number } | undefined {
  const body = total - 12; // type, length, trailing length
  const need = (n: number, what: string) => {
    if (body < n) throw new LoaderError("packet-file", file, `${what} at offset ${o} is too short (${total} bytes)`);
  };
  const iface = (id: number) => {
    const i = sec.interfaces[id];
    if (!i)
      throw new LoaderError(
        "packet-file",
        file,
        `packet block at offset ${o} names interface ${id}, which has no Interface Description Block`,
      );
    requireEthernet(file, i.linkType, i.offset);
    return i;
  };
  switch (type) {
    case 1: // Interface Description Block
      need(8, "Interface Description Block");
      sec.interfaces.push({ linkType: sec.u16(o + 8), snaplen: sec.u32(o + 12), offset: o + 8 });
      return undefined;
    case 6:
    case 2: {
      // Enhanced Packet Block; obsolete Packet Block (u16 interface id)
      need(20, type === 6 ? "Enhanced Packet Block" : "Packet Block");
      iface(type === 6 ? sec.u32(o + 8) : sec.u16(o + 8));
      const caplen = sec.u32(o + 20),
        len = sec.u32(o + 24);
      if (caplen > body - 20)
        throw new LoaderError(
          "packet-file",
          file,
          `packet data at offset ${o + 28} runs past its block (${caplen} bytes)`,
        );
      return { at: o + 28, caplen, len };
    }
    case 3: {
      // Simple Packet Block: original length; captured = min(len, snaplen of interface 0)
      need(4, "Simple Packet Block");
      const i = iface(0);
      const len = sec.u32(o + 8);
      const caplen = Math.min(len, i.snaplen || len, body - 4);
      return { at: o + 12, caplen, len };
    }
    default: // section header, statistics, name resolution, custom blocks: nothing to run
      return undefined;
  }
}
