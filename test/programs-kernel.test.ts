// Each program in programs/ is built with the DSL compiler, loaded into the kernel (verifier
// included) and run with BPF_PROG_TEST_RUN on hand-built frames; logs are read back from the
// TSEBPF_LOGS ring buffer and decoded with the object's format table. The C twins (fixtures/c-twins) of
// tcpopts, flowstats, icmpevents, synevents, cidr6, portstats and vlanfw run on the same packets and
// must agree: verdicts, maps, records.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import type { LoadedObject } from "../loader/object.js";
import { buildProgram } from "./helpers/dsl.js";
import { ETH_P_ARP, frame, frame6, ip4, tcpFrame, u32le } from "./helpers/packets.js";
import { parseIpv6 } from "../loader/ip-addr.js";
import { XdpVm } from "../loader/vm/xdp.js";
import { drainRing, readLogs as logs, run, withObject } from "./helpers/run.js";
import { testRunChecked } from "./helpers/twin.js";

const PASS = 2,
  DROP = 1;

const withProgram = (name: string, fn: (o: LoadedObject) => void): void => withObject(buildProgram(name), fn);

/** Frames every program must PASS: non-IP, truncated headers (test-run needs ≥ 14 bytes). */
const shortFrames = [
  frame().subarray(0, 14),
  frame().subarray(0, 33),
  frame({ etherType: ETH_P_ARP }),
  frame().subarray(0, 20),
];
/** Complete IPv4 headers but truncated TCP/UDP headers. */
const shortL4 = [frame({ proto: 6 }).subarray(0, 40), frame({ proto: 17 }).subarray(0, 36)];

describe.skipIf(!haveKernel)("programs in the kernel", () => {
  it("hello passes every packet and logs 'received a packet'", () => {
    withProgram("hello", (o) => {
      expect(o.programs[0]!.section).toBe("xdp/xdp_hello");
      expect(run(o, frame())).toBe(PASS);
      expect(run(o, new Uint8Array(14))).toBe(PASS);
      expect(logs(o)).toEqual(["received a packet", "received a packet"]);
    });
  });

  it("parse logs source address and port of TCP and UDP packets only", () => {
    withProgram("parse", (o) => {
      expect(run(o, frame({ proto: 17, src: "198.51.100.7", srcPort: 5353 }))).toBe(PASS);
      expect(run(o, frame({ proto: 6, src: "203.0.113.9", srcPort: 443 }))).toBe(PASS);
      expect(run(o, frame({ proto: 1 }))).toBe(PASS);
      for (const f of [...shortFrames, ...shortL4]) expect(run(o, f)).toBe(PASS);
      expect(logs(o)).toEqual(["SRC IP: 198.51.100.7, SRC PORT: 5353", "SRC IP: 203.0.113.9, SRC PORT: 443"]);
    });
  });

  it("firewall drops blocked sources, passes the rest, and logs each decision", () => {
    withProgram("firewall", (o) => {
      o.map("BLOCKLIST")!.set(u32le(ip4("198.51.100.66")), u32le(0));
      expect(run(o, frame({ src: "198.51.100.66" }))).toBe(DROP);
      expect(run(o, frame({ src: "198.51.100.67" }))).toBe(PASS);
      expect(run(o, frame({ src: "203.0.113.66", proto: 6 }))).toBe(PASS);
      for (const f of shortFrames) expect(run(o, f)).toBe(PASS);
      expect(logs(o)).toEqual([
        "SRC: 198.51.100.66, ACTION: 1",
        "SRC: 198.51.100.67, ACTION: 2",
        "SRC: 203.0.113.66, ACTION: 2",
      ]);
    });
  });

  it("counters counts IPv4 packets per protocol in a per-CPU array", () => {
    withProgram("counters", (o) => {
      for (let i = 0; i < 3; i++) expect(run(o, frame({ proto: 6 }))).toBe(PASS);
      expect(run(o, frame({ proto: 17 }))).toBe(PASS);
      for (const f of shortFrames) expect(run(o, f)).toBe(PASS);
      const m = o.map("COUNTERS")!;
      const total = (p: number): bigint => {
        const v = m.get(u32le(p))!;
        let s = 0n;
        for (let i = 0; i < v.length; i += 8) s += v.readBigUInt64LE(i);
        return s;
      };
      expect(total(6)).toBe(3n);
      expect(total(17)).toBe(1n);
      expect(total(1)).toBe(0n);
    });
  });

  it("flowstats counts packets and bytes per 5-tuple in place", () => {
    withProgram("flowstats", (o) => {
      const tcp = frame({ proto: 6, src: "198.51.100.1", dst: "203.0.113.5", srcPort: 40000, dstPort: 443 });
      const udp = frame({
        proto: 17,
        src: "198.51.100.2",
        dst: "203.0.113.5",
        srcPort: 5353,
        dstPort: 53,
        payload: 30,
      });
      for (const f of [tcp, tcp, udp, tcp, ...shortFrames]) expect(run(o, f)).toBe(PASS);
      const m = o.map("FLOWS")!;
      const key = (src: string, dst: string, sport: number, dport: number, proto: number): Uint8Array => {
        const k = new DataView(new ArrayBuffer(16)); // srcAddr, dstAddr, srcPort, dstPort, proto, 3 bytes of padding
        k.setUint32(0, ip4(src), true);
        k.setUint32(4, ip4(dst), true);
        k.setUint16(8, sport, true);
        k.setUint16(10, dport, true);
        k.setUint8(12, proto);
        return new Uint8Array(k.buffer);
      };
      const stats = (k: Uint8Array): [bigint, bigint] => {
        const v = m.get(k)!;
        return [v.readBigUInt64LE(0), v.readBigUInt64LE(8)];
      };
      expect(stats(key("198.51.100.1", "203.0.113.5", 40000, 443, 6))).toEqual([3n, BigInt(3 * tcp.length)]);
      expect(stats(key("198.51.100.2", "203.0.113.5", 5353, 53, 17))).toEqual([1n, BigInt(udp.length)]);
      expect([...m.keys()]).toHaveLength(2);
    });
  });

  it("cidr drops sources inside a blocked prefix", () => {
    withProgram("cidr", (o) => {
      const key = new Uint8Array(8);
      new DataView(key.buffer).setUint32(0, 24, true);
      new DataView(key.buffer).setUint32(4, ip4("198.51.100.0"), false); // data in network order
      o.map("CIDR_BLOCKLIST")!.set(key, u32le(1));
      expect(run(o, frame({ src: "198.51.100.200" }))).toBe(DROP);
      expect(run(o, frame({ src: "198.51.101.1" }))).toBe(PASS);
      expect(run(o, frame({ src: "203.0.113.1" }))).toBe(PASS);
      for (const f of shortFrames) expect(run(o, f)).toBe(PASS);
    });
  });

  it("tcpopts drops SYNs whose MSS option is below 536 and counts window-scale options", () => {
    const mss = (n: number) => [2, 4, n >> 8, n & 0xff];
    const ws = [3, 3, 7];
    const cases: [Uint8Array, number][] = [
      [tcpFrame([...mss(512), 1, ...ws]), DROP],
      [tcpFrame([...mss(1460), 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, ...ws]), PASS], // Linux's SYN
      [tcpFrame([1, 1, 1, 1, 1, 1, 1, 1, ...mss(100)]), DROP], // after eight NOPs
      [tcpFrame([...mss(100)], 0x12), PASS], // SYN-ACK: not inspected
      [tcpFrame([...ws, 0, ...mss(100)]), PASS], // MSS after the end-of-options
      [tcpFrame([...ws, 1, 5, 1, ...mss(100)]), PASS], // malformed length stops the walk
      [tcpFrame([2, 4, 1]).subarray(0, 57), PASS], // MSS value past the packet
      [tcpFrame([]), PASS],
    ];
    const check = (o: LoadedObject): void => {
      expect(cases.map(([p]) => run(o, p))).toEqual(cases.map(([, v]) => v));
      for (const f of [...shortFrames, ...shortL4]) expect(run(o, f)).toBe(PASS);
      const stat = (i: number) => o.map("OPTION_STATS")!.get(u32le(i))!.readBigUInt64LE(0);
      expect([stat(0), stat(1), stat(2)]).toEqual([7n, 4n, 2n]);
    };
    withProgram("tcpopts", check);
    withObject(twin("tcpopts"), check); // the C twin agrees
    const vm = XdpVm.fromElf(buildProgram("tcpopts"));
    expect(cases.map(([p]) => vm.run(p).verdict)).toEqual(cases.map(([, v]) => v));
  });

  it("--section-style libbpf writes section xdp", () => {
    withObject(buildProgram("hello", "libbpf"), (o) => {
      expect(o.programs[0]!.section).toBe("xdp");
      expect(run(o, frame())).toBe(PASS);
    });
  });
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const twin = (name: string) => new Uint8Array(readFileSync(`fixtures/c-twins/${name}.o`));

/** What to compare: maps (hex keys and values, sorted; per-CPU values summed), rings (records'
 *  leading `bytes`, all when omitted). */
interface Seen {
  maps: string[];
  rings: [string, number?][];
}

function sum(v: Buffer): bigint {
  let s = 0n;
  for (let i = 0; i < v.length; i += 8) s += v.readBigUInt64LE(i);
  return s;
}

function observe(o: LoadedObject, pkts: Uint8Array[], seen: Seen) {
  const verdicts = pkts.map((p) => run(o, p));
  const maps = seen.maps.map((name) => {
    const m = o.map(name)!;
    return [...m.keys()].map((k) => `${hex(k)}=${m.perCpu ? sum(m.get(k)!) : hex(m.get(k)!)}`).sort();
  });
  const rings = seen.rings.map(([name, bytes]) => {
    const out: string[] = [];
    drainRing(o, name, (r) => out.push(hex(r.subarray(0, bytes))));
    return out;
  });
  return { verdicts, maps, rings };
}

/** Run programs/<name>.ts and fixtures/c-twins/<name>.o alike; they must agree; the DSL's result. */
function agree(name: string, setup: (o: LoadedObject) => void, pkts: Uint8Array[], seen: Seen) {
  const look = (o: LoadedObject) => (setup(o), observe(o, pkts, seen));
  const dsl = withObject(buildProgram(name), look);
  expect(withObject(twin(name), look)).toEqual(dsl);
  return dsl;
}

describe.skipIf(!haveKernel)("the C twins of the struct programs agree with the DSL", () => {
  it("flowstats: same FLOWS keys (padding zeroed) and counters; truncated L4 counts with ports 0", () => {
    const tcp = frame({ proto: 6, src: "198.51.100.1", dst: "203.0.113.5", srcPort: 40000, dstPort: 443 });
    const udp = frame({ proto: 17, src: "198.51.100.2", srcPort: 5353, payload: 30 });
    const pkts = [tcp, tcp, udp, frame({ proto: 1 }), ...shortL4, ...shortFrames];
    const r = agree("flowstats", () => {}, pkts, { maps: ["FLOWS"], rings: [] });
    expect(r.verdicts.every((v) => v === PASS)).toBe(true);
    expect(r.maps[0]).toHaveLength(5);
    expect(r.maps[0]).toContain("016433c6057100cb409cbb0106000000=0200000000000000" + "7400000000000000");
    expect(r.maps[0]).toContain("016433c6026433c60000000006000000=0100000000000000" + "2800000000000000"); // 40 bytes
  });

  it("icmpevents: echo requests dropped with the same record (timestamp aside); others pass", () => {
    const icmp = (type: number) => frame({ proto: 1, src: "203.0.113.9", srcPort: type << 8 });
    const pkts = [icmp(8), icmp(0), icmp(8), frame({ proto: 17 }), ...shortFrames];
    const r = agree("icmpevents", () => {}, pkts, { maps: ["LOST"], rings: [["EVENTS", 8]] });
    expect(r.verdicts).toEqual([DROP, PASS, DROP, PASS, PASS, PASS, PASS, PASS]);
    expect(r.rings[0]).toEqual(["097100cb08002000", "097100cb08002000"]);
    expect(r.maps[0]).toEqual(["00000000=0"]);
  });

  it("synevents: SYNs give the same records (timestamp aside), quiet ports' are discarded; others none", () => {
    const syn = (dstPort: number, tcpFlags = 2) =>
      frame({ proto: 6, src: "203.0.113.9", dst: "198.51.100.3", srcPort: 40001, dstPort, tcpFlags, window: 0x1234 });
    const quiet = (o: LoadedObject) => o.map("QUIET")!.set(Uint8Array.of(22, 0), Uint8Array.of(1));
    const pkts = [syn(443), syn(22), syn(443, 0x12), syn(80), frame({ proto: 17 }), ...shortL4, ...shortFrames];
    const r = agree("synevents", quiet, pkts, { maps: ["LOST"], rings: [["SYNS", 16]] });
    expect(r.verdicts.every((v) => v === PASS)).toBe(true);
    // srcAddr dstAddr (host order), srcPort dstPort window, ttl 64, flags SYN
    expect(r.rings[0]).toEqual(["097100cb036433c6419cbb0134124002", "097100cb036433c6419c500034124002"]);
    expect(r.maps[0]).toEqual(["00000000=0"]);
  });

  it("cidr6: same verdicts, DROPS6 counts and log records for IPv4 and IPv6 prefixes", () => {
    const block = (o: LoadedObject) => {
      const k6 = new Uint8Array(20);
      new DataView(k6.buffer).setUint32(0, 48, true);
      k6.set(parseIpv6("2001:db8:bad::")!, 4);
      o.map("CIDR6")!.set(k6, u32le(1));
      const k4 = new Uint8Array(8);
      new DataView(k4.buffer).setUint32(0, 25, true);
      new DataView(k4.buffer).setUint32(4, ip4("198.51.100.0"), false);
      o.map("CIDR4")!.set(k4, u32le(1));
    };
    const bad = frame6("2001:db8:bad::1", "2001:db8::2");
    const pkts = [bad, bad, frame6("2001:db8:bad:1::7", "2001:db8::2"), frame6("2001:db8:bae::1", "2001:db8::2")];
    pkts.push(frame({ src: "198.51.100.7" }), frame({ src: "198.51.100.200" }), bad.subarray(0, 53), ...shortFrames);
    const r = agree("cidr6", block, pkts, { maps: ["DROPS6"], rings: [["TSEBPF_LOGS"]] });
    expect(r.verdicts).toEqual([DROP, DROP, DROP, PASS, DROP, PASS, PASS, PASS, PASS, PASS, PASS]);
    expect(r.maps[0]).toEqual([
      "20010db80bad00000000000000000001=0200000000000000",
      "20010db80bad00010000000000000007=0100000000000000",
    ]);
    expect(r.rings[0]).toHaveLength(4);
    expect(r.rings[0]![3]).toBe("0000030100000000076433c600000000"); // format 0, info, 1 word: 198.51.100.7
  });

  it("portstats (BPF-to-BPF calls on both sides): same verdicts and PORTS counters; blocked ports drop", () => {
    const block = (o: LoadedObject) => o.map("BLOCKED")!.set(Uint8Array.of(53, 0), u32le(1));
    const tcp = frame({ proto: 6, srcPort: 40000, dstPort: 443 });
    const toDns = frame({ proto: 17, srcPort: 5353, dstPort: 53 });
    const fromDns = frame({ proto: 17, srcPort: 53, dstPort: 1000 });
    const pkts = [tcp, toDns, fromDns, tcp, frame({ proto: 1 }), ...shortL4, ...shortFrames];
    const r = agree("portstats", block, pkts, { maps: ["PORTS"], rings: [] });
    expect(r.verdicts).toEqual([PASS, DROP, DROP, PASS, ...Array(7).fill(PASS)]);
    const slot = (port: number, packets: number, bytes: number) =>
      `${hex(u32le(port))}=${hex(new Uint8Array(new BigUint64Array([BigInt(packets), BigInt(bytes)]).buffer))}`;
    const counted = r.maps[0]!.filter((e) => !e.endsWith("=" + "0".repeat(32)));
    const n = tcp.length;
    // 443 and 40000 (slot 1024) twice by TCP, 5353 (slot 1024) and 53 by toDns; fromDns stops at its blocked source
    expect(counted.sort()).toEqual(
      [slot(53, 2, 2 * toDns.length), slot(443, 2, 2 * n), slot(1024, 3, 2 * n + toDns.length)].sort(),
    );
  });

  it("vlanfw (a global function, a static subprogram taking a header view): same verdicts and VLANS counters", () => {
    /** `f` with VLAN tags [TPID, TCI] inserted after the MAC addresses. */
    const tagged = (f: Uint8Array, ...tags: [number, number][]) => {
      const b = Buffer.alloc(f.length + 4 * tags.length);
      b.set(f.subarray(0, 12));
      tags.forEach(([tpid, tci], i) => (b.writeUInt16BE(tpid, 12 + 4 * i), b.writeUInt16BE(tci, 14 + 4 * i)));
      b.set(f.subarray(12), 12 + 4 * tags.length);
      return new Uint8Array(b);
    };
    /** IP-in-IP: an outer header from 198.51.100.1 around one from `inner`. */
    const ipip = (inner: string) => {
      const f = frame({ proto: 4, payload: 12 });
      f.set(frame({ src: inner }).subarray(14, 34), 34);
      return f;
    };
    const Q = 0x8100,
      AD = 0x88a8;
    const ttl1 = frame();
    ttl1[22] = 1;
    const fragment = frame();
    fragment[20] = 0x20; // more fragments
    const pkts = [
      frame(), // untagged: VLAN 0
      tagged(frame({ proto: 6 }), [Q, 100]),
      tagged(frame(), [Q, 0xe064]), // priority 7: VLAN 100
      tagged(frame(), [AD, 200], [Q, 300]), // QinQ: the inner VLAN counts
      tagged(frame(), [Q, 5], [Q, 6]),
      tagged(frame(), [AD, 7], [Q, 8], [Q, 9]), // a third tag: not followed
      tagged(frame(), [Q, 10], [AD, 11]), // 802.1ad inside 802.1Q: not followed
      tagged(frame({ src: "198.51.100.66" }), [Q, 100]), // blocked source
      ttl1,
      tagged(fragment, [Q, 12]),
      ipip("198.51.100.66"), // the inner source is blocked
      ipip("203.0.113.5"),
      ipip("203.0.113.5").subarray(0, 50), // the inner header is cut
      tagged(frame(), [Q, 13]).subarray(0, 20), // a truncated IPv4 header
      tagged(frame(), [Q, 14], [Q, 15]).subarray(0, 20), // a truncated second tag
      tagged(frame({ etherType: ETH_P_ARP }), [Q, 16]),
      ...shortFrames,
    ];
    const block = (o: LoadedObject) => o.map("BLOCKED")!.set(u32le(ip4("198.51.100.66")), u32le(1));
    const r = agree("vlanfw", block, pkts, { maps: ["VLANS"], rings: [] });
    expect(r.verdicts).toEqual([
      PASS,
      PASS,
      PASS,
      PASS,
      PASS,
      PASS,
      PASS,
      DROP,
      DROP,
      DROP,
      DROP,
      PASS,
      PASS,
      ...Array(7).fill(PASS),
    ]);
    const counted = r.maps[0]!.filter((e) => !e.endsWith("=" + "0".repeat(32)));
    const slot = (vid: number, packets: number, bytes: number) =>
      `${hex(u32le(vid))}=${hex(new Uint8Array(new BigUint64Array([BigInt(packets), BigInt(bytes)]).buffer))}`;
    const len = frame().length - 14,
      tcpLen = frame({ proto: 6 }).length - 14,
      ipipLen = ipip("x").length - 14;
    expect(counted.sort()).toEqual(
      [
        slot(0, 5, 2 * len + 3 * ipipLen), // untagged, ttl 1, three IP-in-IP
        slot(100, 3, tcpLen + 2 * len),
        slot(300, 1, len),
        slot(6, 1, len),
        slot(12, 1, len),
      ].sort(),
    );
    // the VM runs both objects as the kernel does (verdicts, packets, maps after each run)
    for (const bytes of [buildProgram("vlanfw"), twin("vlanfw")])
      withObject(bytes, (o) => {
        block(o);
        expect(pkts.map((p) => testRunChecked(o, p).retval)).toEqual(r.verdicts);
      });
  });
});
