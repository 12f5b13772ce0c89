// Decoder: bytecode → Insn[]. Takes little-endian bytes (a multiple of 8); produces one Insn per
// instruction (ld_imm64 spans two slots and carries imm64). Opcodes missing from the table still
// decode to an Insn; the printer shows them as `<unknown>`.
import { type Insn, LD_IMM64 } from "./insn.js";

export function decodeInsns(bytes: Uint8Array): Insn[] {
  const out: Insn[] = [];
  const n = Math.floor(bytes.length / 8);
  for (let s = 0; s < n; ) {
    const insn: Insn = { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
    s += decodeInto(bytes, s, n, insn);
    if (insn.imm64 === undefined) delete insn.imm64;
    out.push(insn);
  }
  return out;
}

/**
 * Decodes the instruction at `slot` (of `n` whole slots in `b`) into `out`, reusing it (objdump's
 * loop allocates nothing per instruction); returns its width in slots. imm64 is set only for a
 * ld_imm64 whose second slot exists, and reset to undefined otherwise.
 */
export function decodeInto(b: Uint8Array, slot: number, n: number, out: Insn): 1 | 2 {
  const at = slot * 8;
  const regs = b[at + 1];
  out.code = b[at];
  out.dst = regs & 0x0f;
  out.src = regs >> 4;
  out.off = ((b[at + 2] | (b[at + 3] << 8)) << 16) >> 16;
  out.imm = b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24);
  if (out.code === LD_IMM64 && slot + 1 < n) {
    const hi = (b[at + 12] | (b[at + 13] << 8) | (b[at + 14] << 16) | (b[at + 15] << 24)) >>> 0;
    out.imm64 = (BigInt(hi) << 32n) | BigInt(out.imm >>> 0);
    return 2;
  }
  out.imm64 = undefined;
  return 1;
}
