// Encoder: Insn[] (jumps may carry `target` labels) → little-endian bytecode. Takes the
// instructions and a label → instruction-index map; produces bytes (ld_imm64 takes 16 bytes).
import { type Insn, insnWidth, LD_IMM64 } from "./insn.js";
import { targetInImm } from "./lookup.js";

export class EncodeError extends Error {
  constructor(message: string, readonly insnIndex: number) {
    super(message);
  }
}

/** Slot (8-byte) index of every instruction, plus the total at the end. */
export function slotIndex(insns: readonly Insn[]): number[] {
  const slots = new Array<number>(insns.length + 1);
  let s = 0;
  for (let i = 0; i < insns.length; i++) {
    slots[i] = s;
    s += insnWidth(insns[i]);
  }
  slots[insns.length] = s;
  return slots;
}

export function encodeInsns(insns: readonly Insn[], labels?: ReadonlyMap<string, number>): Uint8Array {
  const slots = slotIndex(insns);
  const out = new Uint8Array(slots[insns.length] * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < insns.length; i++) {
    let insn = insns[i];
    if (insn.target !== undefined) {
      const at = labels?.get(insn.target);
      if (at === undefined) throw new EncodeError(`undefined label '${insn.target}'`, i);
      const rel = slots[at] - slots[i] - 1;
      insn = targetInImm(insn.code, insn.src) ? { ...insn, imm: rel } : { ...insn, off: rel };
    }
    writeInsn(view, slots[i] * 8, insn);
  }
  return out;
}

/** Write one instruction (8 or 16 bytes) at a byte offset. */
export function writeInsn(view: DataView, at: number, i: Insn): void {
  view.setUint8(at, i.code);
  view.setUint8(at + 1, (i.dst & 0x0f) | ((i.src & 0x0f) << 4));
  view.setInt16(at + 2, i.off, true);
  if (i.code === LD_IMM64) {
    const v = BigInt.asUintN(64, i.imm64 ?? BigInt(i.imm));
    view.setUint32(at + 4, Number(v & 0xffffffffn), true);
    view.setUint32(at + 8, 0, true);
    view.setUint32(at + 12, Number(v >> 32n), true);
  } else {
    view.setInt32(at + 4, i.imm, true);
  }
}
