// Struct types in the kernel: struct map keys and values written through object literals and
// updated in place through `M.get(k)` references (atomic `+=`/`|=`/`^=` on a shared map, plain on
// a per-CPU one), nested struct locals and struct helper parameters; the map contents are read
// back and `bpftool map dump` prints the fields by name from our BTF.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { haveKernel, haveTools } from "./helpers/env.js";
import { compileDsl } from "./helpers/dsl.js";
import { run, withObject } from "./helpers/run.js";
import { frame, ip4, u32le } from "./helpers/packets.js";

const SAMPLE = readFileSync("fixtures/dsl-samples/structs.ts", "utf8");

function keyBytes(src: string, dst: string, proto: number, port: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint32(0, ip4(src), true);
  v.setUint32(4, ip4(dst), true);
  v.setUint8(8, proto);
  v.setUint16(10, port, true);
  return b;
}

describe.skipIf(!haveKernel)("struct keys, values and references in the kernel", () => {
  it("counts per 5-tuple through references and atomics; per-CPU values update in place", () => {
    const obj = compileDsl(SAMPLE, "structs.ts");
    withObject(obj, (o) => {
      const a = frame({ src: "198.51.100.1", dst: "198.51.100.2", dstPort: 53 });
      const b = frame({ src: "198.51.100.3", dst: "198.51.100.2", dstPort: 99, payload: 10 });
      const verdicts = [a, a, a, b].map((p) => run(o, p));
      expect(verdicts).toEqual([2, 2, 2, 1]);
      const flows = o.map("FLOWS")!;
      const va = flows.get(keyBytes("198.51.100.1", "198.51.100.2", 17, 53))!;
      const dv = new DataView(va.buffer, va.byteOffset, va.length);
      expect(va.length).toBe(24);
      expect(dv.getBigUint64(0, true)).toBe(3n);
      expect(dv.getBigUint64(8, true)).toBe(BigInt(3 * a.length - 2));
      expect(dv.getUint32(16, true)).toBe((1 ^ 6 ^ 6) | 8);
      expect(dv.getUint8(20)).toBe(1);
      expect(dv.getInt16(22, true)).toBe(-1);
      const vb = flows.get(keyBytes("198.51.100.3", "198.51.100.2", 17, 99))!;
      expect(new DataView(vb.buffer, vb.byteOffset).getBigUint64(8, true)).toBe(BigInt(b.length));
      expect([...flows.keys()]).toHaveLength(2);
      const pc = o.map("PC")!.get(new Uint8Array(4))!;
      let packets = 0n,
        deltas = 0;
      for (let off = 0; off < pc.length; off += 24) {
        packets += pc.readBigUInt64LE(off);
        deltas += pc.readInt16LE(off + 22);
      }
      expect(packets).toBe(4n);
      expect(deltas).toBe(-8);
    });
  });

  it.skipIf(!haveTools("bpftool"))("bpftool map dump prints the struct fields by name", () => {
    const obj = compileDsl(SAMPLE, "structs.ts");
    withObject(obj, (o) => {
      run(o, frame({ src: "198.51.100.1", dst: "198.51.100.2", dstPort: 53 }));
      const id = o.map("FLOWS")!.id();
      const r = spawnSync("bpftool", ["-j", "map", "dump", "id", String(id)], { encoding: "utf8", timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      const [entry] = JSON.parse(r.stdout) as { formatted: { key: object; value: object } }[];
      expect(entry!.formatted.key).toEqual({ src: ip4("198.51.100.1"), dst: ip4("198.51.100.2"), proto: 17, port: 53 });
      expect(entry!.formatted.value).toMatchObject({ packets: 1, flags: 1, seen: true, delta: -1 });
    });
  });
});

describe.skipIf(!haveKernel)("fixed-size arrays in the kernel", () => {
  it("for…of, constant and variable indexes on the stack and in a map value (outside: 0, no write)", () => {
    const obj = compileDsl(readFileSync("fixtures/dsl-samples/arrays.ts", "utf8"), "arrays.ts");
    withObject(obj, (o) => {
      // ttl 64: bucket 0; dstPort 53 is in the port list (Drop); srcPort 40000 & 7 = 0
      expect(run(o, frame({ dstPort: 53, srcPort: 40000 }))).toBe(1);
      const out = o.map("OUT")!;
      const get = (k: number): bigint => out.get(u32le(k))!.readBigUInt64LE(0);
      expect(get(1)).toBe(BigInt(7 + 80 + 443 + 8080)); // ports[64 & 15 & 3 = 0] = 7
      expect(get(2)).toBe(5n); // sq[0] = 5
      expect(get(3)).toBe(0n); // ports[53]: outside, reads 0
      expect(get(4)).toBe(23n); // 11 + 12, then two indexes folded outside the array read 0
      // dstPort 2: ports[2] = 443 read; srcPort 12 & 7 = 4: outside sq, nothing written
      expect(run(o, frame({ dstPort: 2, srcPort: 12 }))).toBe(2);
      expect(get(2)).toBe(0n);
      expect(get(3)).toBe(443n);
      const h = o.map("H")!.get(u32le(0))!;
      expect(h.length).toBe(80); // buckets 0..64, ports 64..70, total at 72, size rounded up to 8
      expect(h.readBigUInt64LE(0)).toBe(2n); // both packets have ttl 64: bucket 64 & 15 = 0
      expect(h.readUInt32LE(72)).toBe(2);
    });
  });
});
