// Ring-buffer records written in place (`R.reserve()`, fields written through the reference,
// `R.submit(e)` / `R.discard(e)`): the kernel and the VM keep the submitted records in order and
// nothing of the discarded ones; a reserved record starts zeroed (fields the program never writes
// read 0 even where the ring held a discarded record's bytes before); a full ring gives null
// (counted as lost); `tsebpf test` and the API's records() show the records decoded.
import { describe, expect, it } from "vitest";
import { buildProgram, compileDsl } from "./helpers/dsl.js";
import { haveKernel } from "./helpers/env.js";
import { frame, ip4 } from "./helpers/packets.js";
import { cli } from "./helpers/cli.js";
import { loadObject } from "../loader/object.js";
import { RecordRings } from "../loader/records.js";
import { decodeRecordValue } from "../loader/btf-values.js";
import { objectBtf } from "../loader/map-codec.js";
import { recordTypeId } from "../loader/user-rings.js";
import { loadXdp } from "../loader/vm/testing.js";
import { load } from "../loader/api/index.js";
import { writeFileSync } from "node:fs";
import { suiteDir } from "./helpers/tmp.js";
import { apiTestRun, testRunChecked } from "./helpers/twin.js";

const SRC = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, RingBuf, ArrayMap, ETH_P_IP, IPPROTO_UDP } from "tsebpf";
import { u8, u16, u32, u64 } from "tsebpf";
interface Ev { srcAddr: u32; proto: u8; mark: u8; totalLen: u16; junk: u64 }
export const EVENTS = new RingBuf<Ev>(4096);
export const LOST = new ArrayMap<u32, u64>(1);
export function xdp_reserve(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.etherType !== ETH_P_IP) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const e = EVENTS.reserve();
  if (e === null) {
    LOST.add(0, 1);
    return XdpAction.Aborted;
  }
  e.srcAddr = ip.srcAddr;
  e.proto = ip.protocol;
  e.totalLen = ip.totalLen;
  if (ip.protocol === IPPROTO_UDP) {
    e.mark = 0xff;
    e.junk = 0xffffffffffffffff;
    EVENTS.discard(e);
    return XdpAction.Pass;
  }
  EVENTS.submit(e);
  return XdpAction.Drop;
}`;

const tcp = frame({ proto: 6, src: "203.0.113.7" });
const udp = frame({ proto: 17, src: "203.0.113.8" });
const EVENT = { srcAddr: ip4("203.0.113.7"), proto: 6, mark: 0, totalLen: tcp.length - 14, junk: 0 };
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const object = () => compileDsl(SRC, "reserve.ts");

describe("RingBuf reserve/submit/discard", () => {
  const at = suiteDir("reserve", (f) => writeFileSync(f("reserve.ts"), SRC));
  it("in the VM: a submitted record is read back zeroed where unwritten; a discarded one leaves nothing", () => {
    const t = loadXdp(object());
    const d = t.run(hex(udp));
    expect([d.verdict, d.records.EVENTS]).toEqual(["XDP_PASS", []]);
    const s = t.run(hex(tcp));
    expect([s.verdict, s.records.EVENTS]).toEqual(["XDP_DROP", [EVENT]]);
  });

  it("programs/synevents.ts in the VM: a SYN's record is submitted, a quiet port's discarded", () => {
    const t = loadXdp(buildProgram("synevents"), { clockNs: 5, maps: { QUIET: [[22, 1]] } });
    const syn = (dstPort: number) => hex(frame({ proto: 6, src: "203.0.113.9", dstPort, tcpFlags: 2, window: 512 }));
    expect(t.run(syn(22)).records.SYNS).toEqual([]);
    expect(t.run(syn(443)).records.SYNS).toEqual(
      [{ srcAddr: ip4("203.0.113.9"), dstAddr: ip4("198.51.100.2"), srcPort: 40000, dstPort: 443 }].map((x) => ({
        ...x,
        window: 512,
        ttl: 64,
        flags: 2,
        timestampNs: 5,
      })),
    );
  });

  it("tsebpf test --vm shows the record of the packet that submitted one", async () => {
    const r = await cli("test", "--vm", at("reserve.ts"), "--packet", hex(udp), hex(tcp));
    expect(r.out.split("\n").filter((l) => l.startsWith("  EVENTS: "))).toEqual([`  EVENTS: ${JSON.stringify(EVENT)}`]);
  });

  it.skipIf(!haveKernel)("in the kernel: records in order, zeroed over discarded bytes; a full ring gives null", () => {
    const o = loadObject(object());
    const rings = new RecordRings(o.maps);
    try {
      const btf = objectBtf(o.model.btf);
      const drain = () =>
        rings.drain().flatMap(([ring, recs]) => recs.map((r) => decodeRecordValue(btf, recordTypeId(ring.def), r)));
      // discarded records fill the 4096-byte ring with 0xff where mark and junk lie, twice round
      for (let i = 0; i < 4; i++) {
        expect(testRunChecked(o, udp, { repeat: 100 }).retval).toBe(2);
        expect(drain()).toEqual([]);
      }
      expect(testRunChecked(o, tcp, { repeat: 150 }).retval).toBe(1);
      expect(drain()).toEqual(Array(150).fill(EVENT));
      // 24 bytes a record with its header: 170 fit in the ring; the other 30 reserve() calls get null
      expect(testRunChecked(o, tcp, { repeat: 200 }).retval).toBe(0); // the last run's verdict
      expect(drain()).toHaveLength(170);
      expect(o.map("LOST")!.get(Buffer.alloc(4))!.readBigUInt64LE(0)).toBe(30n);
    } finally {
      rings.close();
      o.close();
    }
  });

  it.skipIf(!haveKernel)("tsebpf test and the API's records() show the kernel's records", async () => {
    const r = await cli("test", at("reserve.ts"), "--packet", hex(udp), hex(tcp), "--json");
    const json = JSON.parse(r.out) as { results: { records: unknown }[] };
    expect(json.results.map((x) => x.records)).toEqual([undefined, { EVENTS: [EVENT] }]); // no records: no key
    const obj = await load(object());
    try {
      apiTestRun(obj, udp);
      apiTestRun(obj, tcp);
      for await (const rec of obj.maps.EVENTS!.records()) {
        expect(rec).toEqual(EVENT);
        break;
      }
    } finally {
      obj.close();
    }
  });
});
