// ELF/BTF writer and reader: byte I/O, round trips, readelf/llvm-readelf/bpftool accept our objects,
// and the object reader's view of ours and of clang's (static linking, maps, BTF fix-ups).
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter, ElfFormatError, utf8Text } from "../compiler/elf/bytes.js";
import { rng } from "./helpers/rng.js";
import { BtfBuilder, parseBtf, parseBtfExt, writeBtfExt } from "../compiler/elf/btf.js";
import { readElf, sectionByName } from "../compiler/elf/read-elf.js";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { relocateCalls } from "../compiler/link/relocate.js";
import { encodeInsns } from "../compiler/isa/encode.js";
import type { Insn } from "../compiler/isa/insn.js";
import type { ObjectModel } from "../compiler/object.js";
import { writeElf } from "../compiler/elf/write-elf.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { haveTools } from "./helpers/env.js";
import { firewallInput, helloInput } from "./elf-samples.js";
import { suiteDir } from "./helpers/tmp.js";

const tmp = suiteDir("tsebpf-elf-");

describe("bytes", () => {
  it("writes little-endian values, aligns and patches", () => {
    const w = new ByteWriter();
    const at = w.u32(0);
    w.u8(1), w.align(8), w.u16(0x0203), w.i32(-2), w.u64(0x1122334455667788n);
    w.patchU32(at, 0xdeadbeef);
    expect(Array.from(w.finish())).toEqual([
      0xef, 0xbe, 0xad, 0xde, 1, 0, 0, 0, 3, 2, 0xfe, 0xff, 0xff, 0xff, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
    ]);
  });
  it("reads are bounds-checked and name what and where", () => {
    const r = new ByteReader(new Uint8Array([1, 2, 3]), 0x100);
    expect(r.u16(1, "x")).toBe(0x0302);
    expect(() => r.u32(0, "section header")).toThrow(new ElfFormatError("truncated section header", 0x100));
    expect(() => r.u32(0, "section header")).toThrow(/truncated section header at offset 0x100/);
    expect(() => r.cstr(0, "name")).toThrow(/unterminated name/);
  });
});

describe("ELF writer and reader", () => {
  const input = {
    sections: [
      {
        name: "xdp",
        type: 1,
        flags: 6,
        align: 8,
        data: new Uint8Array(16),
        relocs: [
          { offset: 0, type: 1, symbol: "m" },
          { offset: 8, type: 10, symbol: ".text" },
        ],
      },
      { name: ".text", type: 1, flags: 6, align: 8, data: new Uint8Array(8) },
      { name: ".bss", type: 8, flags: 3, align: 8, data: new Uint8Array(0), size: 64 },
    ],
    symbols: [
      { name: "m", section: ".bss", value: 8, size: 8, type: "object" as const, bind: "global" as const },
      { name: "prog", section: "xdp", value: 0, size: 16, type: "func" as const, bind: "global" as const },
      { name: "sub", section: ".text", value: 0, size: 8, type: "func" as const, bind: "local" as const },
      { name: "ext", value: 0, size: 0, type: "notype" as const, bind: "global" as const },
    ],
  };
  it("round-trips sections, symbols (locals first) and relocations", () => {
    const elf = readElf(writeElf(input));
    expect(elf.header.machine).toBe(247);
    expect(elf.sections.map((s) => s.name)).toEqual(["", "xdp", ".relxdp", ".text", ".bss", ".symtab", ".strtab"]);
    expect(sectionByName(elf, ".bss")!.size).toBe(64);
    const symtab = sectionByName(elf, ".symtab")!;
    const binds = elf.symbols.map((s) => s.bind);
    expect(binds.slice(0, symtab.info)).toEqual(binds.slice(0, symtab.info).map(() => 0));
    expect(binds.slice(symtab.info).every((b) => b === 1)).toBe(true);
    const rel = elf.relocs.get(1)!;
    expect(rel.map((r) => [r.offset, r.type, elf.symbols[r.symIndex].name || "(section)"])).toEqual([
      [0, 1, "m"],
      [8, 10, "(section)"],
    ]);
    expect(elf.symbols[rel[1].symIndex].shndx).toBe(3);
  });

  it.skipIf(!haveTools("readelf", "llvm-readelf-19", "llvm-objdump-14", "llvm-objdump-19"))(
    "readelf -a, llvm-readelf -a and llvm-objdump read our objects without a warning",
    () => {
      const objs = {
        "generic.o": writeElf(input),
        "hello.o": writeBpfObject(helloInput()),
        "fw.o": writeBpfObject(firewallInput()),
      };
      for (const [name, bytes] of Object.entries(objs)) {
        const path = tmp(name);
        writeFileSync(path, bytes);
        for (const [tool, args] of [
          ["readelf", ["-a", "-W"]],
          ["llvm-readelf-19", ["-a"]],
          ["llvm-objdump-14", ["-dr"]],
          ["llvm-objdump-19", ["-dr", "-S"]],
        ] as const) {
          const r = spawnSync(tool, [...args, path], { encoding: "utf8" });
          expect(r.status, `${tool} ${name}: ${r.stderr}`).toBe(0);
          expect(r.stderr, `${tool} ${name}`).toBe("");
          expect(r.stdout).not.toMatch(/warning/i);
        }
      }
    },
  );
});

describe("BTF", () => {
  it("round-trips types and .BTF.ext records", () => {
    const b = new BtfBuilder();
    const int = b.add({ kind: "int", name: "int", size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    const ptr = b.add({ kind: "ptr", type: int });
    const st = b.add({
      kind: "struct",
      name: "s",
      size: 16,
      members: [
        { name: "a", type: int, bitOffset: 0 },
        { name: "p", type: ptr, bitOffset: 64 },
      ],
    });
    const proto = b.add({ kind: "func_proto", ret: int, params: [{ name: "x", type: ptr }] });
    b.add({ kind: "func", name: "f", type: proto, linkage: 1 });
    b.add({ kind: "enum", name: "e", size: 4, values: [{ name: "A", value: -1n }] });
    const v = b.add({ kind: "var", name: "v", type: st, linkage: 1 });
    b.add({ kind: "datasec", name: ".data", size: 16, vars: [{ type: v, offset: 0, size: 16 }] });
    const file = b.str("a.ts"),
      line = b.str("return 1;");
    const ext = {
      funcInfo: [{ section: "xdp", records: [{ insnOff: 0, typeId: 5 }] }],
      lineInfo: [{ section: "xdp", records: [{ insnOff: 8, fileNameOff: file, lineOff: line, line: 7, col: 3 }] }],
    };
    const extBytes = writeBtfExt(ext, b.strings);
    const parsed = parseBtf(b.bytes());
    expect(parsed.types.slice(1)).toEqual(b.types);
    expect(parseBtfExt(extBytes, parsed)).toEqual(ext);
    expect(parsed.str(line)).toBe("return 1;");
  });

  it("rejects a corrupt type section with its offset", () => {
    const bytes = new BtfBuilder();
    bytes.add({ kind: "struct", name: "s", size: 4, members: [{ name: "a", type: 0, bitOffset: 0 }] });
    const raw = bytes.bytes();
    raw[24 + 4] = 0xff; // vlen 255: members run past the section
    expect(() => parseBtf(raw, 0x40)).toThrow(/truncated BTF struct members at offset 0x/);
  });

  it.skipIf(!haveTools("bpftool"))("bpftool btf dump file reads our .BTF", () => {
    const path = tmp("btf.o");
    writeFileSync(path, writeBpfObject(firewallInput()));
    const out = execFileSync("bpftool", ["btf", "dump", "file", path], { encoding: "utf8" });
    expect(out).toMatch(/DATASEC '\.maps' size=48 vlen=2/);
    expect(out).toMatch(/type_id=\d+ offset=32 size=16 \(VAR 'EVENTS'\)/);
    expect(out).toMatch(/FUNC 'xdp_firewall' type_id=\d+ linkage=global/);
    expect(out).toMatch(/FUNC 'classify' type_id=\d+ linkage=static/);
  });
});

/** Program `i` of the object with its calls linked (compiler/link/relocate.ts), and its encoding. */
const linked = (m: ObjectModel, i = 0) => relocateCalls(m.programs[i], m.functions ?? []);
const bytesOf = (p: { insns: Insn[] }) => encodeInsns(p.insns);

describe("BPF object reader", () => {
  it("reads our object: programs with .text linked in, relocations by slot, maps, func/line info, log formats", () => {
    const m = readBpfObject(writeBpfObject(firewallInput()));
    expect(m.license).toBe("GPL");
    expect(m.maps.map((x) => [x.name, x.type, x.keySize, x.valueSize, x.maxEntries])).toEqual([
      ["BLOCKLIST", 1, 4, 4, 1024],
      ["EVENTS", 27, 0, 0, 4096],
    ]);
    const p = linked(m);
    expect([p.name, p.section, bytesOf(p).length / 8]).toEqual(["xdp_firewall", "xdp/xdp_firewall", 23 + 4]);
    expect(p.relocs).toEqual([
      { slot: 7, symbol: "BLOCKLIST", kind: "map" },
      { slot: 15, symbol: "EVENTS", kind: "map" },
      { slot: 21, symbol: "classify", kind: "call" },
    ]);
    const callImm = new DataView(bytesOf(p).buffer).getInt32(21 * 8 + 4, true);
    expect(21 + 1 + callImm).toBe(23); // classify appended after the 23 program slots
    expect(p.btfExt!.funcInfo.map((f) => f.insnOff)).toEqual([0, 23]);
    expect(p.btfExt!.lineInfo.map((l) => l.line)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(m.logFormats).toEqual(firewallInput().logFormats);
  });

  it("reads clang objects: BTF maps, legacy maps, __noinline subprograms", () => {
    const fw = readBpfObject(readFileSync("fixtures/c/firewall.clang19-g.o"));
    expect(fw.maps.map((x) => [x.name, x.type, x.keySize, x.valueSize, x.maxEntries])).toEqual([
      ["BLOCKLIST", 1, 4, 4, 1024],
      ["EVENTS", 27, 0, 0, 4096],
    ]);
    const legacy = readBpfObject(readFileSync("fixtures/c/legacy.clang14.o"));
    expect(legacy.maps).toEqual([{ name: "counters", type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 }]);
    expect(legacy.programs[0].relocs).toEqual([{ slot: 4, symbol: "counters", kind: "map" }]);
    const sub = readBpfObject(readFileSync("fixtures/c/subprog.clang14.o"));
    expect(sub.programs.map((_, i) => [sub.programs[i].name, bytesOf(linked(sub, i)).length / 8])).toEqual([
      ["xdp_size", 5 + 11],
      ["xdp_size_twice", 14 + 11],
    ]);
    const view = new DataView(bytesOf(linked(sub, 1)).buffer);
    for (const slot of [4, 12]) expect(slot + 1 + view.getInt32(slot * 8 + 4, true)).toBe(14);
  });

  it("classifies relocations: map (.maps / legacy maps), data (.rodata section symbol), other", () => {
    const ld = (imm = 0) => new Uint8Array([0x18, 0x01, 0, 0, imm, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const code = new Uint8Array([...ld(), ...ld(4), ...ld(), 0x95, 0, 0, 0, 0, 0, 0, 0]);
    const m = readBpfObject(
      writeElf({
        sections: [
          {
            name: "xdp",
            type: 1,
            flags: 6,
            align: 8,
            data: code,
            relocs: [
              { offset: 0, type: 1, symbol: "counters" },
              { offset: 16, type: 1, symbol: ".rodata" },
              { offset: 32, type: 1, symbol: "ext" },
            ],
          },
          {
            name: "maps",
            type: 1,
            flags: 3,
            align: 4,
            data: new Uint8Array([2, 0, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]),
          },
          { name: ".rodata", type: 1, flags: 2, align: 8, data: new Uint8Array(8) },
          { name: "license", type: 1, flags: 3, align: 1, data: new TextEncoder().encode("Dual MIT/GPL\0") },
        ],
        symbols: [
          { name: "prog", section: "xdp", value: 0, size: code.length, type: "func", bind: "global" },
          { name: "counters", section: "maps", value: 0, size: 20, type: "object", bind: "global" },
          { name: "ext", value: 0, size: 0, type: "notype", bind: "global" },
        ],
      }),
    );
    expect(m.license).toBe("Dual MIT/GPL");
    expect(m.maps.map(({ global, ...def }) => [def, global?.section])).toEqual([
      [{ name: "counters", type: 2, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 }, undefined],
      [{ name: ".rodata", type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0x80 }, ".rodata"],
    ]);
    expect(m.programs[0].relocs).toEqual([
      { slot: 0, symbol: "counters", kind: "map" },
      { slot: 2, symbol: ".rodata", kind: "data", data: { section: ".rodata", offset: 0 } },
      { slot: 4, symbol: "ext", kind: "other" },
    ]);
  });

  it("links a callback (ld_imm64 relocated against .text) as a BPF_PSEUDO_FUNC load, as libbpf does", () => {
    const p = linked(readBpfObject(readFileSync("fixtures/c/callback.clang19-g.o")));
    const bytes = bytesOf(p);
    expect([p.name, bytes.length / 8]).toEqual(["xdp_loop", 19 + 11]);
    expect(bytes[9 * 8 + 1] >> 4).toBe(4); // src = BPF_PSEUDO_FUNC
    expect(9 + 1 + new DataView(bytes.buffer).getInt32(9 * 8 + 4, true)).toBe(19);
    expect(p.relocs).toEqual([{ slot: 9, symbol: "step", kind: "call" }]);
    expect(p.btfExt!.funcInfo.map((f) => f.insnOff)).toEqual([0, 19]);
  });

  it("fixes clang's zero DATASEC size and VAR offsets for BPF_BTF_LOAD", () => {
    const bytes = readFileSync("fixtures/c/firewall.clang14-g.o");
    const raw = parseBtf(sectionByName(readElf(bytes), ".BTF")!.data);
    const before = raw.types.find((t) => t.kind === "datasec" && t.name === ".maps");
    expect(before).toMatchObject({ size: 0 });
    const fixed = parseBtf(readBpfObject(bytes).btf!).types.find((t) => t.kind === "datasec" && t.name === ".maps");
    expect(fixed).toMatchObject({
      size: 48,
      vars: [
        { offset: 0, size: 32 },
        { offset: 32, size: 16 },
      ],
    });
  });
});

describe("utf8Text", () => {
  it("decodes as TextDecoder does, ASCII without it (1,000 seeded byte strings and 5 long ones), and fatal throws on bad UTF-8", () => {
    const r = rng(902);
    const pick = ["a", "Z", "{", "\u00e9", "\u20ac", "\u{1f600}", "\0", "\n"];
    for (let i = 0; i < 1000; i++) {
      let t = "";
      for (let n = Math.floor(r() * 40); n > 0; n--) t += pick[Math.floor(r() * (i % 2 ? 3 : pick.length))];
      const b = new TextEncoder().encode(t);
      const inner = new Uint8Array(b.length + 4);
      inner.set(b, 2);
      expect(utf8Text(inner.subarray(2, 2 + b.length))).toBe(t); // a view inside a larger buffer
    }
    for (const n of [4095, 4096, 4097, 9000, 70_000]) {
      // ASCII across the 4 KB chunks, and above 64 KB (through a Buffer)
      const t = Array.from({ length: n }, () => pick[Math.floor(r() * 3)]).join("");
      expect(utf8Text(new TextEncoder().encode(t))).toBe(t);
    }
    const bad = Uint8Array.of(0x7b, 0xff, 0x7d);
    expect(utf8Text(bad)).toBe(new TextDecoder().decode(bad));
    expect(() => utf8Text(bad, true)).toThrow(TypeError);
  });
});
