// RingBuf.output(record) returns whether the ring took the record, so a program can count lost
// events: a 4096-byte ring holds 255 records of 8 bytes (16 with the header each; the kernel never
// fills a ring completely); 300 outputs keep 255 and lose 45 — the program's LOST counter says 45
// and exactly 255 records are read back, in the kernel and in the VM alike (the VM took 256).
import { describe, expect, it } from "vitest";
import { compileDsl } from "./helpers/dsl.js";
import { testRunChecked } from "./helpers/twin.js";
import { haveKernel } from "./helpers/env.js";
import { loadObject } from "../loader/object.js";
import { RecordRings } from "../loader/records.js";
import { loadXdp } from "../loader/vm/testing.js";

const SRC = `import { XdpContext, XdpAction, RingBuf, ArrayMap, u32, u64 } from "tsebpf";
export const EVENTS = new RingBuf<u64>(4096);
export const LOST = new ArrayMap<u32, u64>(1);
export function xdp_out(ctx: XdpContext): XdpAction {
  for (let i = 0; i < 300; i++) {
    if (!EVENTS.output(i)) LOST.add(0, 1);
  }
  return XdpAction.Pass;
}`;

const obj = () => compileDsl(SRC, "t.ts");

describe("RingBuf.output returns whether the record was taken", () => {
  it("in the VM: 255 records kept (0..254 in order), 45 counted as lost", () => {
    const r = loadXdp(obj()).run("00".repeat(64));
    expect(r.records.EVENTS).toEqual(Array.from({ length: 255 }, (_, i) => i));
    expect(r.maps.LOST).toEqual([[0, 45n]]);
  });

  it.skipIf(!haveKernel)("in the kernel: the same", () => {
    const o = loadObject(obj());
    const rings = new RecordRings(o.maps);
    try {
      testRunChecked(o, new Uint8Array(64));
      const [[ring, recs]] = rings.drain();
      expect(ring.name).toBe("EVENTS");
      expect(recs.map((b) => Number(Buffer.from(b).readBigUInt64LE(0)))).toEqual(
        Array.from({ length: 255 }, (_, i) => i),
      );
      expect(o.map("LOST")!.get(Buffer.alloc(4))!.readBigUInt64LE(0)).toBe(45n);
    } finally {
      rings.close();
      o.close();
    }
  });
});
