// Decoder: bytecode → Insn[]. Takes little-endian bytes (a multiple of 8); produces one Insn per
// instruction (ld_imm64 spans two slots and carries imm64). Opcodes missing from the table still
// decode to an Insn; the printer shows them as `<unknown>`.
import { type Insn, LD_IMM64 } from "./insn.js";

export function decodeInsns(bytes: Uint8Array): Insn[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  const n = Math.floor(bytes.length / 8);
  for (let s = 0; s < n; s++) {
    const at = s * 8;
    const regs = view.getUint8(at + 1);
    const insn: Insn = { code: view.getUint8(at), dst: regs & 0x0f, src: regs >> 4, off: view.getInt16(at + 2, true), imm: view.getInt32(at + 4, true) };
    if (insn.code === LD_IMM64 && s + 1 < n) {
      const hi = view.getUint32(at + 12, true);
      insn.imm64 = (BigInt(hi) << 32n) | BigInt(view.getUint32(at + 4, true));
      s++;
    }
    out.push(insn);
  }
  return out;
}
