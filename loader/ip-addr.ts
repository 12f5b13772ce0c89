// IP addresses and CIDRs as people type them: takes text (IPv4 dotted quads, IPv6 in any RFC 4291
// form, either with `/len`) and produces the address bytes in network order, the IPv4 host-order
// u32 the DSL compares against, and back: IPv6 text as RFC 5952 writes it (lower case, the
// longest run of zero groups as `::`, IPv4-mapped addresses as ::ffff:a.b.c.d). Pure functions.

/** IPv4 dotted quad → host-order u32 (198.51.100.1 → 0xC6336401). */
export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

/** IPv6 text (`2001:db8::1`, `::ffff:198.51.100.1`) → its 16 bytes in network order. */
export function parseIpv6(s: string): Uint8Array | undefined {
  const t = s.trim();
  if (!/^[0-9a-fA-F:.]+$/.test(t) || t.split("::").length > 2) return undefined;
  const [head, tail] = t.includes("::") ? t.split("::") : [t, undefined];
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (const [i, g] of items.entries()) {
      if (g.includes(".") && i === items.length - 1) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const a = groups(head!);
  const b = tail === undefined ? [] : groups(tail);
  if (!a || !b) return undefined;
  if (tail === undefined ? a.length !== 8 : a.length + b.length > 7) return undefined;
  if (tail !== undefined && head!.includes(".")) return undefined; // an IPv4 part only at the end
  const all = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** 16 address bytes (network order) → RFC 5952 text. */
export function formatIpv6(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${[b[12], b[13], b[14], b[15]].join(".")}`;
  let best = -1,
    len = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len && j - i >= 2) [best, len] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + len))}`;
}

/** An address or a prefix: the address bytes in network order (4: IPv4, 16: IPv6) and the prefix length. */
export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

/** `addr/len` or `addr` (the full length: /32, /128), IPv4 or IPv6. */
export function parseCidr(s: string): Cidr | undefined {
  const [a, p, extra] = s.trim().split("/");
  if (extra !== undefined || a === undefined) return undefined;
  const v4 = parseIpv4(a);
  const bytes = v4 !== undefined ? ipv4Bytes(v4) : parseIpv6(a);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  if (p === undefined) return { bytes, prefix: max };
  if (!/^\d{1,3}$/.test(p) || Number(p) > max) return undefined;
  return { bytes, prefix: Number(p) };
}

/** A host-order IPv4 u32 as its 4 bytes in network order. */
export function ipv4Bytes(addr: number): Uint8Array {
  return Uint8Array.from([addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff]);
}

/** A CIDR as text: `198.51.100.0/24`, `2001:db8::/32`. */
export function formatCidr(bytes: Uint8Array, prefix: number): string {
  return `${bytes.length === 4 ? bytes.join(".") : formatIpv6(bytes)}/${prefix}`;
}
