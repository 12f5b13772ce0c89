// The ONE eBPF instruction table (RFC 9669). Takes nothing; produces OP_TABLE, the list of every
// instruction form with its opcode, discriminators and LLVM-syntax templates. The encoder, decoder,
// printer and both assembler parsers read this table; their reverse maps are derived in lookup.ts.
//
// Template placeholders (shared by printer and parser):
//   %rd %rs    64-bit register rN (dst / src field)     %wd %ws   32-bit register wN
//   %imm       signed 32-bit immediate                   %off      memory offset, printed "+ N" / "- N"
//   %tgt       jump offset (off) "+N"/"-N" or a label    %ltgt     jump offset in imm (gotol)
//   %imm64     ld_imm64 value or a symbol                %sym      a symbol (local call)
//   %srcn      the src field as a number (ld_pseudo)     %asd %ass addr_space_cast imm halves
//   %rimm      register number held in imm (LLVM 14 callx)
//   %pimm      ld_pseudo's 32-bit immediate (low word; printed as the 64-bit value)
//   %addend    `sym + N` in `r1 = sym + 8 ll`
import { ALU, CLASS, JMP, MODE, SIZE, SRC } from "./insn.js";
import { CONDS } from "./cond.js";

export type Field = "dst" | "src" | "off" | "imm";

export interface OpEntry {
  name: string;
  code: number;
  /** Discriminators: the entry applies only when these fields have these values. */
  off?: number;
  imm?: number;
  src?: number;
  /** What llvm-objdump-19 prints (null: `<unknown>`). */
  asm: string | null;
  /** What llvm-objdump-19 prints with --mcpu=v3/v4 (alu32 register forms); defaults to asm. */
  asm32?: string | null;
  /** What llvm-objdump-14 prints (null: `<unknown>`); defaults to asm. */
  llvm14?: string | null;
  /** Forms the LLVM parser accepts; defaults to asm and asm32. */
  parse?: string[];
  /** ubpf mnemonic (second dialect), e.g. "add32", "ldxw", "jeq". */
  ubpf?: string;
  /** Fields LLVM's decoder does not check (others not used by a placeholder must be zero). */
  lax?: Field[];
}

const SZ = [
  ["w", SIZE.W, "u32", 32],
  ["h", SIZE.H, "u16", 16],
  ["b", SIZE.B, "u8", 8],
  ["dw", SIZE.DW, "u64", 64],
] as const;

const ALU_OPS = [
  ["add", ALU.ADD, "+="],
  ["sub", ALU.SUB, "-="],
  ["mul", ALU.MUL, "*="],
  ["div", ALU.DIV, "/="],
  ["or", ALU.OR, "|="],
  ["and", ALU.AND, "&="],
  ["lsh", ALU.LSH, "<<="],
  ["rsh", ALU.RSH, ">>="],
  ["mod", ALU.MOD, "%="],
  ["xor", ALU.XOR, "^="],
  ["mov", ALU.MOV, "="],
  ["arsh", ALU.ARSH, "s>>="],
] as const;

const JMP_OPS = Object.entries(CONDS).map(([c, { op, sym }]) => [`j${c}`, op, sym] as const);

const ATOMIC_OPS = [
  ["add", 0x00, "+="],
  ["or", 0x40, "|="],
  ["and", 0x50, "&="],
  ["xor", 0xa0, "^="],
] as const;
const FETCH = 0x01,
  XCHG = 0xe1,
  CMPXCHG = 0xf1;

function alu(): OpEntry[] {
  const out: OpEntry[] = [];
  for (const [cls, bits, r, suffix] of [
    [CLASS.ALU64, 64, "%r", ""],
    [CLASS.ALU, 32, "%w", "32"],
  ] as const) {
    for (const [op, opc, sym] of ALU_OPS) {
      const old = op === "mod" ? null : undefined; // LLVM 14 has no BPF mod
      out.push({
        name: `${op}${bits}_imm`,
        code: cls | SRC.K | opc,
        asm: `${r}d ${sym} %imm`,
        ubpf: op + suffix,
        llvm14: old,
      });
      out.push({
        name: `${op}${bits}_reg`,
        code: cls | SRC.X | opc,
        asm: `${r}d ${sym} ${r}s`,
        ubpf: op + suffix,
        llvm14: old,
      });
    }
    for (const [op, opc, sym, old] of [
      ["sdiv", ALU.DIV, "s/=", "/="],
      ["smod", ALU.MOD, "s%=", null],
    ] as const) {
      const l14 = (t: string) => (old ? `${r}d ${old} ${t}` : null);
      out.push({
        name: `${op}${bits}_imm`,
        code: cls | SRC.K | opc,
        off: 1,
        asm: `${r}d ${sym} %imm`,
        llvm14: l14("%imm"),
        ubpf: op + suffix,
      });
      out.push({
        name: `${op}${bits}_reg`,
        code: cls | SRC.X | opc,
        off: 1,
        asm: `${r}d ${sym} ${r}s`,
        llvm14: l14(`${r}s`),
        ubpf: op + suffix,
      });
    }
    out.push({
      name: `neg${bits}`,
      code: cls | SRC.K | ALU.NEG,
      asm: `${r}d = -${r}d`,
      ubpf: "neg" + suffix,
      lax: ["src", "off", "imm"],
    });
  }
  for (const [w, cls, r] of [
    [8, CLASS.ALU64, "%r"],
    [16, CLASS.ALU64, "%r"],
    [32, CLASS.ALU64, "%r"],
    [8, CLASS.ALU, "%w"],
    [16, CLASS.ALU, "%w"],
  ] as const) {
    const bits = cls === CLASS.ALU64 ? 64 : 32;
    out.push({
      name: `movsx${bits}_${w}`,
      code: cls | SRC.X | ALU.MOV,
      off: w,
      asm: `${r}d = (s${w})${r}s`,
      llvm14: `${r}d = ${r}s`,
      ubpf: `movsx${w}${bits}`,
    });
  }
  out.push({
    name: "addr_space_cast",
    code: CLASS.ALU64 | SRC.X | ALU.MOV,
    off: 1,
    asm: "%rd = addr_space_cast(%rs, %asd, %ass)",
    llvm14: "%rd = %rs",
  });
  for (const w of [16, 32, 64]) {
    out.push({ name: `le${w}`, code: CLASS.ALU | SRC.K | ALU.END, imm: w, asm: `%rd = le${w} %rd`, ubpf: `le${w}` });
    out.push({ name: `be${w}`, code: CLASS.ALU | SRC.X | ALU.END, imm: w, asm: `%rd = be${w} %rd`, ubpf: `be${w}` });
    out.push({
      name: `bswap${w}`,
      code: CLASS.ALU64 | SRC.K | ALU.END,
      imm: w,
      asm: `%rd = bswap${w} %rd`,
      llvm14: null,
      ubpf: `bswap${w}`,
    });
  }
  return out;
}

function memory(): OpEntry[] {
  const out: OpEntry[] = [];
  for (const [s, size, ty, bits] of SZ) {
    const w32 = bits !== 64;
    out.push({
      name: `ldx${s}`,
      code: CLASS.LDX | MODE.MEM | size,
      asm: `%rd = *(${ty} *)(%rs %off)`,
      asm32: w32 ? `%wd = *(${ty} *)(%rs %off)` : undefined,
      llvm14: `%rd = *(${ty} *)(%rs %off)`,
      ubpf: `ldx${s}`,
      lax: ["imm"],
    });
    if (w32)
      out.push({
        name: `ldxs${s}`,
        code: CLASS.LDX | MODE.MEMSX | size,
        asm: `%rd = *(s${bits} *)(%rs %off)`,
        llvm14: null,
        ubpf: `ldxs${s}`,
        lax: ["imm"],
      });
    out.push({
      name: `stx${s}`,
      code: CLASS.STX | MODE.MEM | size,
      asm: `*(${ty} *)(%rd %off) = %rs`,
      asm32: w32 ? `*(${ty} *)(%rd %off) = %ws` : undefined,
      llvm14: `*(${ty} *)(%rd %off) = %rs`,
      ubpf: `stx${s}`,
      lax: ["imm"],
    });
    out.push({
      name: `st${s}`,
      code: CLASS.ST | MODE.MEM | size,
      asm: `*(${ty} *)(%rd %off) = %imm`,
      llvm14: null,
      ubpf: `st${s}`,
    });
    if (bits !== 64) {
      out.push({
        name: `ldabs${s}`,
        code: CLASS.LD | MODE.ABS | size,
        asm: `r0 = *(${ty} *)skb[%imm]`,
        ubpf: `ldabs${s}`,
        lax: ["dst", "src", "off"],
      });
      out.push({
        name: `ldind${s}`,
        code: CLASS.LD | MODE.IND | size,
        asm: `r0 = *(${ty} *)skb[%rs]`,
        ubpf: `ldind${s}`,
        lax: ["dst", "off", "imm"],
      });
    }
  }
  out.push({
    name: "lddw",
    code: CLASS.LD | MODE.IMM | SIZE.DW,
    src: 0,
    asm: "%rd = %imm64 ll",
    parse: ["%rd = %imm64 ll", "%rd = %imm64 %addend ll"],
    ubpf: "lddw",
  });
  // ld_imm64 with a pseudo source (map fd, map value, BTF id, func, map index...): `ld_pseudo r1, 1, 5`.
  for (let k = 1; k <= 6; k++)
    out.push({
      name: `ld_pseudo${k}`,
      code: CLASS.LD | MODE.IMM | SIZE.DW,
      src: k,
      asm: "ld_pseudo\t%rd, %srcn, %pimm",
      parse: [],
    });
  // Any other src value: LLVM prints it the same way. The parser's one form covers every src.
  out.push({
    name: "ld_pseudo",
    code: CLASS.LD | MODE.IMM | SIZE.DW,
    asm: "ld_pseudo\t%rd, %srcn, %pimm",
    parse: ["ld_pseudo %rd, %srcn, %pimm"],
  });
  return out;
}

function atomics(): OpEntry[] {
  const out: OpEntry[] = [];
  for (const [size, ty, bits] of [
    [SIZE.DW, "u64", 64],
    [SIZE.W, "u32", 32],
  ] as const) {
    const code = CLASS.STX | MODE.ATOMIC | size;
    const is64 = bits === 64;
    const sfx = is64 ? "" : "32";
    for (const [op, imm, sym] of ATOMIC_OPS) {
      // LLVM without alu32 only knows the 32-bit add; it prints add-with-fetch as a plain add.
      const plain32 = op === "add" ? `lock *(${ty} *)(%rd %off) ${sym} %rs` : null;
      out.push({
        name: `atomic${bits}_${op}`,
        code,
        imm,
        ubpf: `lock ${op}${sfx}`,
        asm: is64 ? `lock *(${ty} *)(%rd %off) ${sym} %rs` : plain32,
        asm32: is64 ? undefined : `lock *(${ty} *)(%rd %off) ${sym} %ws`,
        parse: is64 ? undefined : [plain32, `lock *(${ty} *)(%rd %off) ${sym} %ws`].filter((x): x is string => !!x),
      });
      out.push({
        name: `atomic${bits}_fetch_${op}`,
        code,
        imm: imm | FETCH,
        ubpf: `lock fetch ${op}${sfx}`,
        asm: is64 ? `%rs = atomic_fetch_${op}((${ty} *)(%rd %off), %rs)` : plain32,
        asm32: is64 ? undefined : `%ws = atomic_fetch_${op}((${ty} *)(%rd %off), %ws)`,
        llvm14: is64 ? undefined : plain32,
        parse: is64 ? undefined : [`%ws = atomic_fetch_${op}((${ty} *)(%rd %off), %ws)`],
      });
    }
    const r = is64 ? "%r" : "%w";
    const xchg = `${r}s = xchg${is64 ? "" : "32"}_${bits}(%rd %off, ${r}s)`;
    const cmpx = `${is64 ? "r" : "w"}0 = cmpxchg${is64 ? "" : "32"}_${bits}(%rd %off, ${is64 ? "r" : "w"}0, ${r}s)`;
    out.push({
      name: `atomic${bits}_xchg`,
      code,
      imm: XCHG,
      asm: is64 ? xchg : null,
      asm32: xchg,
      llvm14: is64 ? xchg : null,
      parse: [xchg],
      ubpf: `lock xchg${sfx}`,
    });
    out.push({
      name: `atomic${bits}_cmpxchg`,
      code,
      imm: CMPXCHG,
      asm: is64 ? cmpx : null,
      asm32: cmpx,
      llvm14: is64 ? cmpx : null,
      parse: [cmpx],
      ubpf: `lock cmpxchg${sfx}`,
    });
  }
  return out;
}

function jumps(): OpEntry[] {
  const out: OpEntry[] = [];
  for (const [cls, r, sfx] of [
    [CLASS.JMP, "%r", ""],
    [CLASS.JMP32, "%w", "32"],
  ] as const) {
    for (const [op, opc, sym] of JMP_OPS) {
      const old = op === "jset" ? null : undefined; // LLVM 14 does not decode jset
      out.push({
        name: `${op}${sfx}_imm`,
        code: cls | SRC.K | opc,
        asm: `if ${r}d ${sym} %imm goto %tgt`,
        llvm14: old,
        ubpf: op + sfx,
      });
      out.push({
        name: `${op}${sfx}_reg`,
        code: cls | SRC.X | opc,
        asm: `if ${r}d ${sym} ${r}s goto %tgt`,
        llvm14: old,
        ubpf: op + sfx,
      });
    }
  }
  out.push({ name: "ja", code: CLASS.JMP | JMP.JA, asm: "goto %tgt", ubpf: "ja", lax: ["imm"] });
  out.push({ name: "gotol", code: CLASS.JMP32 | JMP.JA, asm: "gotol %ltgt", llvm14: null, ubpf: "ja32" });
  out.push({ name: "call", code: CLASS.JMP | JMP.CALL, src: 0, asm: "call %imm", ubpf: "call", lax: ["dst", "off"] });
  out.push({
    name: "call_local",
    code: CLASS.JMP | JMP.CALL,
    src: 1,
    asm: "call %imm",
    parse: ["call %sym", "call %sym %addend"],
    lax: ["dst", "off"],
  });
  out.push({
    name: "call_kfunc",
    code: CLASS.JMP | JMP.CALL,
    src: 2,
    asm: "call %imm",
    parse: [],
    lax: ["dst", "off"],
  });
  out.push({
    name: "callx",
    code: CLASS.JMP | SRC.X | JMP.CALL,
    asm: "callx %rd",
    llvm14: "callx %rimm",
    ubpf: "callx",
    lax: ["imm"],
  });
  out.push({ name: "exit", code: CLASS.JMP | JMP.EXIT, asm: "exit", ubpf: "exit" });
  out.push({ name: "may_goto", code: CLASS.JMP | JMP.JCOND, asm: "may_goto %tgt", llvm14: null, lax: ["imm"] });
  return out;
}

export const OP_TABLE: readonly OpEntry[] = [...alu(), ...memory(), ...atomics(), ...jumps()];
