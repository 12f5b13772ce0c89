// IPv6 in user space (issue 8 §6): addresses and CIDRs parsed in every RFC 4291 form and printed
// as RFC 5952 says; `--map`/`--block` and the library API fill IPv6 LPM tries ({u32 prefixlen,
// u8 data[16]}, 20-byte keys) and 16-byte hash keys, IPv4 tries keep their real prefix lengths;
// the kernel's LPM trie and the VM's give the same longest-prefix answers for IPv4 and IPv6.
import { closeSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MAP_TYPE } from "../compiler/abi.js";
import type { MapDef } from "../compiler/object.js";
import { blockAddress, encodeKey, fillMaps } from "../cli/map-args.js";
import { ip } from "../loader/api/ip.js";
import { MapHandle } from "../loader/api/maps.js";
import { formatIpv6, parseCidr, parseIpv6 } from "../loader/ip-addr.js";
import { BpfMap } from "../loader/map.js";
import type { EntryMap } from "../loader/map-codec.js";
import { mapCreate } from "../loader/sys/bpf.js";
import { createMap, type VmMap } from "../loader/vm/maps.js";
import { haveKernel } from "./helpers/env.js";
import { rng } from "./helpers/rng.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("IPv6 text", () => {
  it("parses every RFC 4291 form and refuses malformed ones", () => {
    const ok: [string, string][] = [
      ["2001:db8::1", "20010db8000000000000000000000001"],
      ["2001:DB8:0:0:0:0:0:1", "20010db8000000000000000000000001"],
      ["::", "00000000000000000000000000000000"],
      ["::1", "00000000000000000000000000000001"],
      ["2001:db8::", "20010db8000000000000000000000000"],
      ["::ffff:198.51.100.7", "00000000000000000000ffffc6336407"],
      ["2001:db8:1:2:3:4:5:6", "20010db8000100020003000400050006"],
      ["2001:db8:1:2:3:4::", "20010db8000100020003000400000000"],
    ];
    for (const [t, h] of ok) expect(hex(parseIpv6(t)!), t).toBe(h);
    for (const t of [
      "",
      ":",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "2001:db8::1::2",
      "12345::",
      "g::1",
      "::1.2.3",
      "1.2.3.4::",
      "1::2:3:4:5:6:7:8",
    ])
      expect(parseIpv6(t), t).toBeUndefined();
  });

  it("prints RFC 5952 text: lower case, the longest zero run (the first on a tie) as ::, one zero group kept", () => {
    const cases: [string, string][] = [
      ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
      ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
      ["0:0:0:0:0:0:0:0", "::"],
      ["0:0:0:0:0:0:0:1", "::1"],
      ["2001:db8::", "2001:db8::"],
      ["0:0:0:0:0:ffff:c633:6407", "::ffff:198.51.100.7"],
    ];
    for (const [t, want] of cases) expect(formatIpv6(parseIpv6(t)!), t).toBe(want);
    const r = rng(6);
    for (let i = 0; i < 500; i++) {
      const b = Uint8Array.from({ length: 16 }, () => (r() < 0.5 ? 0 : Math.floor(r() * 256)));
      expect(hex(parseIpv6(formatIpv6(b))!)).toBe(hex(b));
    }
  });

  it("CIDRs: IPv4 up to /32, IPv6 up to /128, an address alone is the full length", () => {
    expect(parseCidr("2001:db8::/32")).toEqual({ bytes: parseIpv6("2001:db8::"), prefix: 32 });
    expect(parseCidr("2001:db8::1")?.prefix).toBe(128);
    expect(parseCidr("198.51.100.0/24")).toEqual({ bytes: Uint8Array.from([198, 51, 100, 0]), prefix: 24 });
    for (const t of ["2001:db8::/129", "198.51.100.0/33", "2001:db8::/-1", "2001:db8::/32/1", "198.51.100.0/"])
      expect(parseCidr(t), t).toBeUndefined();
  });

  it("ip(): IPv4 as the host-order u32, IPv6 as its 16 bytes", () => {
    expect(ip("198.51.100.7")).toBe(0xc6336407);
    expect(hex(ip("2001:db8::7"))).toBe("20010db8000000000000000000000007");
    expect(() => ip("2001:db8::g")).toThrow("'2001:db8::g' is not an IPv4 or IPv6 address");
  });
});

/** A map in memory: the EntryMap the CLI fills, over the VM's implementation of the map type. */
function vmEntryMap(def: MapDef): EntryMap & { lookup(k: Uint8Array): Uint8Array | undefined } {
  const m = createMap(def, 1) as VmMap;
  return {
    name: def.name,
    def,
    set: (k, v) => void m.update(k, v, 0, 0),
    lookup: (k) => m.lookup(k, 0),
  };
}

const lpmDef = (keySize: number): MapDef => ({
  name: "BLOCKLIST",
  type: MAP_TYPE.LPM_TRIE,
  keySize,
  valueSize: 4,
  maxEntries: 64,
  flags: 1,
});
const hashDef = (keySize: number): MapDef => ({
  name: "BLOCKLIST",
  type: MAP_TYPE.HASH,
  keySize,
  valueSize: 4,
  maxEntries: 64,
  flags: 0,
});

/** LPM key for a full address (prefix 32/128), as the DSL looks one up. */
function fullKey(addr: string): Uint8Array {
  const c = parseCidr(addr)!;
  const k = new Uint8Array(4 + c.bytes.length);
  new DataView(k.buffer).setUint32(0, c.bytes.length * 8, true);
  k.set(c.bytes, 4);
  return k;
}

const V6 = ["2001:db8::/32=1", "2001:db8:1::/48=2", "2001:db8:1:2::/64=3", "2001:db8::7=4"];
const V6_PROBES = [
  "2001:db8::7",
  "2001:db8::8",
  "2001:db8:1::1",
  "2001:db8:1:2::9",
  "2001:db8:1:3::1",
  "2001:db9::1",
  "::1",
];
const V6_WANT = [4, 1, 2, 3, 2, undefined, undefined];
const V4 = ["198.51.100.0/24=1", "198.51.100.128/25=2", "203.0.113.7=3", "0xcb007100/28=4"];
const V4_PROBES = ["198.51.100.1", "198.51.100.200", "203.0.113.7", "203.0.113.9", "203.0.113.99", "192.0.2.1"];
const V4_WANT = [1, 2, 3, 4, undefined, undefined];

const value = (v: Uint8Array | undefined) => (v ? Buffer.from(v).readUInt32LE(0) : undefined);

describe("--map and --block with IPv6 (VM maps)", () => {
  it("fills IPv6 and IPv4 LPM tries with real prefix lengths; lookups find the longest prefix", () => {
    const m6 = vmEntryMap(lpmDef(20));
    fillMaps([m6], undefined, ["BLOCKLIST", ...V6]);
    expect(V6_PROBES.map((a) => value(m6.lookup(fullKey(a))))).toEqual(V6_WANT);
    const m4 = vmEntryMap(lpmDef(8));
    fillMaps([m4], undefined, ["BLOCKLIST", ...V4]);
    expect(V4_PROBES.map((a) => value(m4.lookup(fullKey(a))))).toEqual(V4_WANT);
  });

  it("--block: IPv6 CIDRs into an LPM trie, IPv6 addresses into a 16-byte hash key (network order)", () => {
    const lpm = vmEntryMap(lpmDef(20));
    blockAddress(lpm, "2001:db8:1::/48");
    expect(value(lpm.lookup(fullKey("2001:db8:1::5")))).toBe(1);
    const hash = vmEntryMap(hashDef(16));
    blockAddress(hash, "2001:db8::5");
    expect(value(hash.lookup(parseIpv6("2001:db8::5")!))).toBe(1);
    const hash4 = vmEntryMap(hashDef(4));
    blockAddress(hash4, "198.51.100.5");
    expect(value(hash4.lookup(Uint8Array.from([5, 100, 51, 198])))).toBe(1);
  });

  it("refuses an address of the other family, a CIDR for a hash map, and text that is no address", () => {
    expect(() => encodeKey("198.51.100.0/24", vmEntryMap(lpmDef(20)))).toThrow(
      "map BLOCKLIST is an LPM trie with 20-byte keys; IPv4 CIDRs need 8 (u32 prefix length + 4-byte address)",
    );
    expect(() => encodeKey("2001:db8::/32", vmEntryMap(lpmDef(8)))).toThrow(
      "map BLOCKLIST is an LPM trie with 8-byte keys; IPv6 CIDRs need 20 (u32 prefix length + 16-byte address)",
    );
    expect(() => encodeKey("2001:db8::1", vmEntryMap(hashDef(4)))).toThrow(
      "--map BLOCKLIST: key '2001:db8::1': an IPv6 address needs a 16-byte key, this is 4",
    );
    expect(() => blockAddress(vmEntryMap(hashDef(16)), "2001:db8::/32")).toThrow("takes single addresses");
    expect(() => blockAddress(vmEntryMap(hashDef(4)), "2001:db8::1")).toThrow(
      "map BLOCKLIST has 4-byte keys; --block IPv6 needs 16-byte keys",
    );
    expect(() => blockAddress(vmEntryMap(lpmDef(20)), "2001:db8::/129")).toThrow(
      "--block '2001:db8::/129': not an IPv4 or IPv6 address or CIDR",
    );
  });
});

describe.skipIf(!haveKernel)("IPv6 and IPv4 LPM tries in the kernel", () => {
  const withMap = (def: MapDef, fn: (m: BpfMap) => void): void => {
    const fd = mapCreate({ ...def, name: "T" });
    try {
      fn(new BpfMap(fd, def));
    } finally {
      closeSync(fd);
    }
  };

  it("--map entries give the kernel's trie the same longest-prefix answers as the VM's", () => {
    for (const [size, entries, probes, want] of [
      [20, V6, V6_PROBES, V6_WANT],
      [8, V4, V4_PROBES, V4_WANT],
    ] as const)
      withMap(lpmDef(size), (m) => {
        fillMaps([m], undefined, ["BLOCKLIST", ...entries]);
        expect(probes.map((a) => value(m.get(fullKey(a))))).toEqual(want);
      });
  });

  it("the library API takes IPv6 CIDR strings and gives them back in RFC 5952 text", () => {
    withMap(lpmDef(20), (m) => {
      const h = new MapHandle(m, undefined, () => {});
      h.set("2001:DB8:0:0:1::/80", 9);
      expect(h.get("2001:db8::1:0:0:0/80")).toBe(9);
      expect([...h.keys()]).toEqual(["2001:db8:0:0:1::/80"]);
      expect(() => h.set("198.51.100.0/24", 1)).toThrow("IPv4 CIDRs need 8");
    });
    withMap(hashDef(16), (m) => {
      const h = new MapHandle(m, undefined, () => {});
      h.set("2001:db8::9", 1);
      expect(h.has(ip("2001:db8::9"))).toBe(true);
      expect(() => h.set("2001:db8::g", 1)).toThrow("a 16-byte slot takes an IPv6 address");
    });
  });
});
