// CO-RE relocations without a kernel: local and target BTF built here with our BTF writer, the
// .BTF.ext core_relo round trip, candidate matching (flavors, reordered and anonymous members,
// arrays, bitfields, enums, types), instruction patching, poisoning and the refusals.
import { describe, expect, it } from "vitest";
import { BtfBuilder, parseBtf, parseBtfExt, writeBtfExt, type BtfType, type ParsedBtf } from "../compiler/elf/btf.js";
import type { LoadedProgram } from "../compiler/object.js";
import { decodeInsns } from "../compiler/isa/decode.js";
import { applyCoreRelocations, candidates, explainPoison, POISON_IMM } from "../loader/core-relo.js";
import { essentialName } from "../loader/core-names.js";

/** Builds a BTF from `add` (which gets an `int(size, signed)` shortcut) and parses it back. */
function btf(add: (b: BtfBuilder, int: (size: number, signed?: boolean) => number) => void): ParsedBtf {
  const b = new BtfBuilder();
  const ints = new Map<string, number>();
  const int = (size: number, signed = false) => {
    const k = `${size}${signed}`;
    if (!ints.has(k))
      ints.set(
        k,
        b.add({
          kind: "int",
          name: `${signed ? "" : "u"}int${size * 8}`,
          size,
          bits: size * 8,
          bitOffset: 0,
          encoding: signed ? 1 : 0,
        }),
      );
    return ints.get(k)!;
  };
  add(b, int);
  return parseBtf(b.bytes());
}

const st = (name: string, size: number, members: [string, number, number][], kflag?: true): BtfType => ({
  kind: "struct",
  name,
  size,
  members: members.map(([n, type, bitOffset]) => ({ name: n, type, bitOffset })),
  ...(kflag ? { kflag } : {}),
});

// Local: what the program was compiled against (flavored name, its own order, one field the kernel lacks).
const addPkt = (b: BtfBuilder, int: (size: number) => number) =>
  b.add(
    st("pkt___local", 16, [
      ["a", int(1), 0],
      ["b", int(4), 32],
      ["c", int(2), 64],
      ["gone", int(4), 96],
    ]),
  );
const local = btf((b, int) => void addPkt(b, int));
const LOCAL_ID = local.types.findIndex((t) => t.kind === "struct");
// Target: the "kernel": reordered fields, `b` inside an anonymous union, `c` widened to 4 bytes.
const target = btf((b, int) => {
  b.add({ kind: "int", name: "pad", size: 8, bits: 64, bitOffset: 0, encoding: 0 });
  const inner = b.add(st("", 4, [["b", int(4), 0]]));
  const un = b.add({ kind: "union", name: "", size: 4, members: [{ name: "", type: inner, bitOffset: 0 }] });
  b.add(
    st("pkt", 24, [
      ["c", int(4), 0],
      ["x", int(8), 64],
      ["a", int(1), 128],
      ["", un, 160],
    ]),
  );
});

const ldx = (size: number, dst: number, src: number, off: number) => [
  0x61 | ({ 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 } as Record<number, number>)[size],
  (src << 4) | dst,
  off & 0xff,
  (off >> 8) & 0xff,
  0,
  0,
  0,
  0,
];
const movImm = (dst: number, imm: number) => [
  0xb7,
  dst,
  0,
  0,
  imm & 0xff,
  (imm >> 8) & 0xff,
  (imm >> 16) & 0xff,
  imm >>> 24,
];
const EXIT = [0x95, 0, 0, 0, 0, 0, 0, 0];

function apply(
  insns: number[][],
  relos: { insnOff: number; access: string; kind: number; typeId?: number }[],
  l = local,
  t = target,
) {
  const buf = Buffer.from(insns.flat());
  const prog: LoadedProgram = {
    name: "p",
    section: "xdp",
    insns: decodeInsns(buf),
    relocs: [],
    btfExt: { funcInfo: [], lineInfo: [], coreRelo: relos.map((r) => ({ typeId: LOCAL_ID, ...r })) },
  };
  const poisoned = applyCoreRelocations(buf, prog, l, () => t);
  return {
    buf,
    poisoned,
    off: (slot: number) => buf.readInt16LE(slot * 8 + 2),
    imm: (slot: number) => buf.readInt32LE(slot * 8 + 4),
  };
}

describe("CO-RE: .BTF.ext core_relo", () => {
  it("round-trips through the .BTF.ext writer and reader", () => {
    const b = new BtfBuilder();
    b.add({ kind: "int", name: "int", size: 4, bits: 32, bitOffset: 0, encoding: 1 });
    const ext = {
      funcInfo: [],
      lineInfo: [],
      coreRelo: [
        {
          section: "xdp",
          records: [
            { insnOff: 16, typeId: 1, access: "0:2:1", kind: 0 },
            { insnOff: 40, typeId: 1, access: "0", kind: 8 },
          ],
        },
      ],
    };
    const bytes = writeBtfExt(ext, b.strings);
    expect(parseBtfExt(bytes, parseBtf(b.bytes()))).toEqual(ext);
  });

  it("strips ___flavor suffixes as libbpf does", () => {
    expect(["task_struct___v2", "a___b___c", "x____y", "s___", "___x", "plain"].map(essentialName)).toEqual([
      "task_struct",
      "a___b",
      "x____y",
      "s___",
      "___x",
      "plain",
    ]);
  });
});

describe("CO-RE: field relocations", () => {
  it("finds the kernel's type by essential name and a compatible kind", () => {
    expect(candidates(local, LOCAL_ID, target).map((i) => (target.types[i] as { name: string }).name)).toEqual(["pkt"]);
  });

  it("patches load offsets to the kernel's layout, through anonymous members, and widens an unsigned load", () => {
    const r = apply(
      [ldx(1, 1, 2, 0), ldx(4, 1, 2, 4), ldx(2, 1, 2, 8), EXIT],
      [
        { insnOff: 0, access: "0:0", kind: 0 }, // a: 0 → 16
        { insnOff: 1, access: "0:1", kind: 0 }, // b: 4 → 20 (inside the anonymous union/struct)
        { insnOff: 2, access: "0:2", kind: 0 }, // c: 8 → 0, u16 → u32
      ],
    );
    expect([r.off(0), r.off(1), r.off(2)]).toEqual([16, 20, 0]);
    expect(r.buf[2 * 8] & 0x18).toBe(0x00); // BPF_W now
    expect(r.poisoned).toEqual([]);
  });

  it("computes byte size, exists and signedness into immediates", () => {
    const r = apply(
      [movImm(1, 2), movImm(2, 1), movImm(3, 1), movImm(4, 0), EXIT],
      [
        { insnOff: 0, access: "0:2", kind: 1 }, // sizeof c: 2 → 4
        { insnOff: 1, access: "0:3", kind: 2 }, // gone exists: 1 → 0
        { insnOff: 2, access: "0:0", kind: 2 }, // a exists: 1
        { insnOff: 3, access: "0:1", kind: 3 }, // b signed: 0
      ],
    );
    expect([r.imm(0), r.imm(1), r.imm(2), r.imm(3)]).toEqual([4, 0, 1, 0]);
  });

  it("poisons a load of a field the kernel lacks (call 0xbad2310) and names it when the verifier reaches it", () => {
    const r = apply([ldx(4, 1, 2, 12), EXIT], [{ insnOff: 0, access: "0:3", kind: 0 }]);
    expect(r.buf[0]).toBe(0x85);
    expect(r.imm(0)).toBe(POISON_IMM);
    expect(r.poisoned).toEqual([
      { insn: 0, what: "CO-RE relocation #0 (byte_off of struct pkt___local.gone) at insn 0 of xdp" },
    ]);
    const verr = new Error("verifier rejected program 'p': invalid func unknown#195896080 (EINVAL)");
    const err = explainPoison(verr, "0: (85) call unknown#195896080\ninvalid func unknown#195896080", r.poisoned);
    expect(err.message).toMatch(
      /^CO-RE relocation #0 \(byte_off of struct pkt___local\.gone\) at insn 0 of xdp: the kernel's BTF has no such field .* reachable .*\nverifier rejected/,
    );
    expect(explainPoison(verr, "7: (85) call unknown#195896080", r.poisoned)).toBe(verr); // another instruction: not ours
  });

  it("refuses a load whose value the kernel's field size would change (signed, other size)", () => {
    const l = btf((b, int) => void b.add(st("q", 4, [["v", int(2, true), 0]])));
    const t = btf((b, int) => void b.add(st("q", 8, [["v", int(4, true), 32]])));
    const relo = { typeId: l.types.findIndex((x) => x.kind === "struct"), insnOff: 0, access: "0:0", kind: 0 };
    expect(() => apply([ldx(2, 1, 2, 0), EXIT], [relo], l, t)).toThrow(
      "program p: CO-RE relocation #0 (byte_off of struct q.v) at insn 0 of xdp: the kernel's field is 4 bytes, not 2, and is not a pointer or unsigned integer",
    );
  });

  it("refuses an instruction that does not hold the compiler's value", () => {
    expect(() => apply([ldx(1, 1, 2, 3), EXIT], [{ insnOff: 0, access: "0:0", kind: 0 }])).toThrow(
      /at insn 0 of xdp: instruction holds 3, expected 0/,
    );
  });

  it("relocates array elements and bitfields (shifts), as libbpf computes them", () => {
    const l = btf((b, int) => {
      const arr = b.add({ kind: "array", type: int(2), indexType: int(4), nelems: 4 });
      b.add(
        st(
          "h",
          12,
          [
            ["v", int(1), 0 | (4 << 24)],
            ["ihl", int(1), 4 | (4 << 24)],
            ["arr", arr, 16],
          ],
          true,
        ),
      );
    });
    const t = btf((b, int) => {
      const arr = b.add({ kind: "array", type: int(2), indexType: int(4), nelems: 8 });
      b.add(
        st(
          "h",
          24,
          [
            ["arr", arr, 0],
            ["ihl", int(1), 128 | (4 << 24)],
            ["v", int(1), 132 | (4 << 24)],
          ],
          true,
        ),
      );
    });
    const typeId = l.types.findIndex((x) => x.kind === "struct");
    const r = apply(
      [ldx(2, 1, 2, 8), movImm(1, 0), movImm(1, 0), movImm(1, 60)],
      [
        { typeId, insnOff: 0, access: "0:2:3", kind: 0 }, // arr[3]: 2 + 6 → 0 + 6
        { typeId, insnOff: 1, access: "0:1", kind: 0 }, // ihl byte offset → 16
        { typeId, insnOff: 2, access: "0:1", kind: 4 }, // lshift_u64: 64 - (128 + 4 - 128) = 60
        { typeId, insnOff: 3, access: "0:1", kind: 5 }, // rshift_u64: 60
      ],
      l,
      t,
    );
    expect([r.off(0), r.imm(1), r.imm(2), r.imm(3)]).toEqual([6, 16, 60, 60]);
  });

  it("refuses ambiguous candidates that disagree", () => {
    const t = btf((b, int) => {
      b.add(st("pkt", 8, [["a", int(1), 0]]));
      b.add(st("pkt___2", 8, [["a", int(1), 8]]));
    });
    expect(() => apply([ldx(1, 1, 2, 0), EXIT], [{ insnOff: 0, access: "0:0", kind: 0 }], local, t)).toThrow(
      /at insn 0 of xdp: ambiguous: kernel types \[\d+\] and \[\d+\] put the field at bit 0 and 8/,
    );
  });
});

describe("CO-RE: type and enum relocations", () => {
  const l = btf((b, int) => {
    addPkt(b, int);
    b.add({
      kind: "enum",
      name: "act___local",
      size: 4,
      values: [
        { name: "PASS", value: 0n },
        { name: "GONE", value: 7n },
      ],
    });
    b.add(st("only_here", 4, [["a", int(4), 0]]));
    b.add(st("same___x", 4, [["a", int(4), 0]]));
    b.add(st("wider___x", 2, [["a", int(2), 0]]));
  });
  const t = btf((b, int) => {
    b.add(st("pkt", 24, [["a", int(4), 0]]));
    b.add({
      kind: "enum",
      name: "act",
      size: 4,
      values: [
        { name: "DROP", value: 1n },
        { name: "PASS", value: 2n },
      ],
    });
    b.add(
      st("same", 8, [
        ["pad", int(1), 0],
        ["a", int(4), 32],
      ]),
    );
    b.add(st("wider", 4, [["a", int(4), 0]]));
  });
  const id = (p: ParsedBtf, name: string) => p.types.findIndex((x) => "name" in x && x.name === name);
  const enumId = id(l, "act___local"),
    onlyId = id(l, "only_here");

  it("computes enumerator values and existence, type existence and size", () => {
    const r = apply(
      [movImm(1, 0), movImm(1, 1), movImm(1, 1), movImm(1, 1), movImm(1, 16), movImm(1, 4)],
      [
        { typeId: enumId, insnOff: 0, access: "0", kind: 11 }, // PASS: 0 → 2
        { typeId: enumId, insnOff: 1, access: "0", kind: 10 }, // PASS exists
        { typeId: enumId, insnOff: 2, access: "1", kind: 10 }, // GONE does not
        { typeId: onlyId, insnOff: 3, access: "0", kind: 8 }, // only_here: no such kernel type
        { typeId: LOCAL_ID, insnOff: 4, access: "0", kind: 9 }, // sizeof(pkt): 16 → 24
        { typeId: onlyId, insnOff: 5, access: "0", kind: 9 }, // size of a missing type: 0
      ],
      l,
      t,
    );
    expect([0, 1, 2, 3, 4, 5].map(r.imm)).toEqual([2, 1, 0, 0, 24, 0]);
  });

  it("matches types by shape for type_matches: members by name in any order, same int size", () => {
    const r = apply(
      [movImm(1, 1), movImm(1, 1), movImm(1, 1), movImm(1, 1)],
      [
        { typeId: id(l, "same___x"), insnOff: 0, access: "0", kind: 12 }, // a: u32 found after pad
        { typeId: id(l, "wider___x"), insnOff: 1, access: "0", kind: 12 }, // a is u32 in the kernel
        { typeId: LOCAL_ID, insnOff: 2, access: "0", kind: 12 }, // the kernel's pkt lacks 'gone'
        { typeId: enumId, insnOff: 3, access: "0", kind: 12 }, // GONE is not an enumerator there
      ],
      l,
      t,
    );
    expect([0, 1, 2, 3].map(r.imm)).toEqual([1, 0, 0, 0]);
  });

  it("refuses a kind it does not know, naming the kind, the instruction and the section", () => {
    expect(() => apply([movImm(1, 1), EXIT], [{ insnOff: 0, access: "0", kind: 13 }])).toThrow(
      /^CO-RE relocation kind 13 at insn 0 of xdp is not supported$/,
    );
  });

  it("refuses malformed access strings and instructions it cannot patch", () => {
    expect(() => apply([movImm(1, 1), EXIT], [{ insnOff: 0, access: "0:9", kind: 0 }])).toThrow(
      /bad access string '0:9' for type \[\d+\]: member 9 of a 4-member struct/,
    );
    expect(() => apply([EXIT, EXIT], [{ insnOff: 0, access: "0:0", kind: 1 }])).toThrow(
      /instruction 0x95 cannot be relocated/,
    );
    expect(() => apply([EXIT], [{ insnOff: 5, access: "0:0", kind: 1 }])).toThrow(
      /at insn 5 of xdp: instruction offset outside the program/,
    );
  });
});
