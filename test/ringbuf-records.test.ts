// Ring-buffer record types in objects: the DSL writes a `tsebpf.record:<type>` decl tag on the
// ring buffer's VAR, clang objects carry the same tag by hand; the reader finds the type, the BTF
// value decoder turns records into JSON lines (field names, u64 beyond 2^53 exact, bitfields),
// records of untyped ring buffers print as hex; bpftool loads our objects with the tag.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BtfBuilder, parseBtf } from "../compiler/elf/btf.js";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { decodeBtfValue, jsonLine, recordLine } from "../loader/btf-values.js";
import { compileDsl } from "./helpers/dsl.js";
import { haveKernel, haveTools } from "./helpers/env.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { suiteDir } from "./helpers/tmp.js";

const SRC = `import { XdpContext, XdpAction, RingBuf, u32 } from "tsebpf";
export const EVENTS = new RingBuf<u32>(4096);
export function xdp_ev(ctx: XdpContext): XdpAction {
  EVENTS.output(7);
  return XdpAction.Pass;
}`;

const le = (...bytes: number[]) => Uint8Array.from(bytes);

describe("ring-buffer record types in BTF", () => {
  it("the DSL names a ring buffer's record type; the reader finds it and decodes records", () => {
    const model = readBpfObject(compileDsl(SRC, "t.ts"));
    const ev = model.maps.find((m) => m.name === "EVENTS")!;
    expect([ev.keySize, ev.valueSize]).toEqual([0, 0]); // the kernel refuses anything else
    const btf = parseBtf(model.btf!);
    expect(btf.types[ev.btfRecordTypeId!]).toMatchObject({ kind: "int", name: "u32", size: 4 });
    expect(recordLine("EVENTS", btf, ev.btfRecordTypeId, le(7, 0, 0, 0))).toBe('{"map":"EVENTS","record":7}');
    // a record whose size is not the type's is shown as bytes, not misread
    expect(recordLine("EVENTS", btf, ev.btfRecordTypeId, le(1, 2))).toBe('{"map":"EVENTS","hex":"0102"}');
  });

  it("the clang fixture's tagged ring buffer decodes with field names; the untagged one is hex", () => {
    const model = readBpfObject(readFileSync("fixtures/c/records.clang19-g.o"));
    const btf = parseBtf(model.btf!);
    const [ev, raw] = ["EVENTS", "RAW"].map((n) => model.maps.find((m) => m.name === n)!);
    expect(raw.btfRecordTypeId).toBeUndefined();
    const rec = new Uint8Array(16);
    const dv = new DataView(rec.buffer);
    dv.setUint32(0, 0xc6336407, true), dv.setUint8(4, 8), dv.setUint16(6, 84, true);
    dv.setBigUint64(8, 0xfedcba9876543210n, true);
    expect(recordLine("EVENTS", btf, ev.btfRecordTypeId, rec)).toBe(
      '{"map":"EVENTS","record":{"saddr":3325256711,"type":8,"code":0,"len":84,"ts":"18364758544493064720"}}',
    );
    expect(recordLine("RAW", btf, raw.btfRecordTypeId, le(4, 3, 2, 1))).toBe('{"map":"RAW","hex":"04030201"}');
  });

  it("decodes signed, bool, array, nested and bitfield members; bigints only beyond 2^53", () => {
    const b = new BtfBuilder();
    const u8 = b.add({ kind: "int", name: "u8", size: 1, bits: 8, bitOffset: 0, encoding: 0 });
    const i16 = b.add({ kind: "int", name: "i16", size: 2, bits: 16, bitOffset: 0, encoding: 1 });
    const bool = b.add({ kind: "int", name: "bool", size: 1, bits: 8, bitOffset: 0, encoding: 4 });
    const u64 = b.add({ kind: "int", name: "u64", size: 8, bits: 64, bitOffset: 0, encoding: 0 });
    const arr = b.add({ kind: "array", type: u8, indexType: u8, nelems: 3 });
    const inner = b.add({ kind: "struct", name: "in", size: 1, members: [{ name: "x", type: u8, bitOffset: 0 }] });
    const s = b.add({
      kind: "struct",
      name: "s",
      size: 24,
      kflag: true,
      members: [
        { name: "neg", type: i16, bitOffset: 0 },
        { name: "ok", type: bool, bitOffset: 16 },
        { name: "lo", type: u8, bitOffset: (3 << 24) | 24 }, // 3-bit bitfield at bit 24
        { name: "hi", type: u8, bitOffset: (5 << 24) | 27 },
        { name: "mac", type: arr, bitOffset: 32 },
        { name: "in", type: inner, bitOffset: 56 },
        { name: "small", type: u64, bitOffset: 64 },
        { name: "big", type: u64, bitOffset: 128 },
      ],
    });
    const bytes = new Uint8Array(24);
    const dv = new DataView(bytes.buffer);
    dv.setInt16(0, -2, true), dv.setUint8(2, 1), dv.setUint8(3, (17 << 3) | 5);
    bytes.set([1, 2, 3, 9], 4);
    dv.setBigUint64(8, 2n ** 53n - 1n, true), dv.setBigUint64(16, 2n ** 53n + 1n, true);
    const v = decodeBtfValue(parseBtf(b.bytes()), s, bytes);
    expect(v).toEqual({
      neg: -2,
      ok: true,
      lo: 5,
      hi: 17,
      mac: [1, 2, 3],
      in: { x: 9 },
      small: 2 ** 53 - 1,
      big: 2n ** 53n + 1n,
    });
    expect(jsonLine(v)).toContain('"big":"9007199254740993"');
  });
});

describe.skipIf(!haveKernel || !haveTools("bpftool"))("the record tag in the kernel", () => {
  const bpffs = suiteBpffs();
  const tmp = suiteDir("tsebpf-rbrec-");
  it("bpftool prog load takes our object with the tag (ring buffer key/value sizes 0)", () => {
    const obj = tmp("ev.o");
    writeFileSync(obj, compileDsl(SRC, "t.ts"));
    const pin = join(bpffs(), `ev-${process.pid}`);
    try {
      const r = spawnSync("bpftool", ["prog", "load", obj, pin, "type", "xdp"], { encoding: "utf8", timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      const dump = spawnSync("bpftool", ["btf", "dump", "file", obj], { encoding: "utf8" }).stdout;
      expect(dump).toMatch(/DECL_TAG 'tsebpf\.record:u32' type_id=\d+ component_idx=-1/);
    } finally {
      rmSync(pin, { force: true });
    }
  });
});
