// programs/icmpevents.ts: ICMP echo requests are dropped and each drop is a DropEvent record on
// EVENTS (struct record, output()), read back and decoded with field names as the program wrote
// them — in the VM, in the kernel and through `tsebpf test`; other packets pass with no record; a
// full ring's lost events are counted in LOST (kept + lost = packets).
import { describe, expect, it } from "vitest";
import { buildProgram } from "./helpers/dsl.js";
import { testRunChecked } from "./helpers/twin.js";
import { haveKernel } from "./helpers/env.js";
import { frame, ip4 } from "./helpers/packets.js";
import { cli } from "./helpers/cli.js";
import { loadObject } from "../loader/object.js";
import { RecordRings } from "../loader/records.js";
import { decodeRecordValue } from "../loader/btf-values.js";
import { objectBtf } from "../loader/map-codec.js";
import { recordTypeId } from "../loader/user-rings.js";
import { loadXdp } from "../loader/vm/testing.js";

// ICMP type and code are the first two bytes after the IPv4 header (frame() puts srcPort there)
const icmp = (type: number, code = 0) => frame({ proto: 1, src: "203.0.113.9", srcPort: (type << 8) | code });
const EVENT = { srcAddr: ip4("203.0.113.9"), type: 8, code: 0, totalLen: 32 };

describe("icmpevents", () => {
  it("in the VM: an echo request is dropped with one record; a reply and UDP pass with none", () => {
    const t = loadXdp(buildProgram("icmpevents"), { clockNs: 123456789n });
    const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
    const drop = t.run(hex(icmp(8)));
    expect(drop.verdict).toBe("XDP_DROP");
    expect(drop.records.EVENTS).toEqual([{ ...EVENT, timestampNs: 123456789 }]);
    for (const p of [icmp(0), frame({ proto: 17 })]) {
      const r = t.run(hex(p));
      expect(r.verdict).toBe("XDP_PASS");
      expect(r.records.EVENTS).toEqual([]);
    }
  });

  it.skipIf(!haveKernel)("in the kernel: records decode as written; lost events are counted", () => {
    const o = loadObject(buildProgram("icmpevents"));
    const rings = new RecordRings(o.maps);
    try {
      const btf = objectBtf(o.model.btf);
      expect(testRunChecked(o, icmp(8)).retval).toBe(1);
      expect(testRunChecked(o, icmp(3, 1)).retval).toBe(2);
      const [[ring, [rec]]] = rings.drain();
      const ev = decodeRecordValue(btf, recordTypeId(ring.def), rec!) as Record<string, unknown>;
      expect(ev).toMatchObject(EVENT);
      expect(ev.timestampNs).toBeGreaterThan(0);
      // 65536-byte ring, 24 bytes a record with its header: at most 2730 fit; 3000 drops lose 270
      testRunChecked(o, icmp(8), { repeat: 3000 });
      const kept = rings.drain()[0]![1].length;
      const lost = o.map("LOST")!.get(Buffer.alloc(4))!;
      let sum = 0n;
      for (let i = 0; i < lost.length; i += 8) sum += lost.readBigUInt64LE(i);
      expect([kept, Number(sum)]).toEqual([2730, 270]);
    } finally {
      rings.close();
      o.close();
    }
  });

  it("tsebpf test shows the dropped packet's record", async () => {
    const r = await cli("test", "programs/icmpevents.ts", "--vm", "--packet", Buffer.from(icmp(8)).toString("hex"));
    expect(r.out).toMatch(/^ {2}EVENTS: \{"srcAddr":3405803785,"type":8,"code":0,"totalLen":32,"timestampNs":\d+\}$/m);
  });
});
