// Encoder: Insn[] (jumps may carry `target` labels) → little-endian bytecode. Takes the
// instructions and a label → instruction-index map; produces bytes (ld_imm64 takes 16 bytes).
// Every field is range-checked before it is written: a value that does not fit its field throws
// EncodeError naming the field, the value and the range; nothing is ever truncated.
import { type Insn, insnWidth, LD_IMM64 } from "./insn.js";
import { targetInImm } from "./lookup.js";

export class EncodeError extends Error {
  constructor(
    message: string,
    readonly insnIndex: number,
  ) {
    super(message);
  }
}

/** Inclusive range of each instruction field (imm64: ld_imm64's value, signed or unsigned). */
export const FIELD_RANGE = {
  code: [0, 0xff],
  dst: [0, 15],
  src: [0, 15],
  off: [-0x8000, 0x7fff],
  imm: [-0x80000000, 0x7fffffff],
  imm64: [-(1n << 63n), (1n << 64n) - 1n],
} as const;
export type EncodedField = keyof typeof FIELD_RANGE;

const FIELD_NAME: Record<EncodedField, string> = {
  code: "8-bit opcode",
  dst: "4-bit dst register",
  src: "4-bit src register",
  off: "16-bit signed offset",
  imm: "32-bit signed immediate",
  imm64: "64-bit immediate",
};

/** Why `v` does not fit `field`, or undefined when it does (numbers are compared without BigInt). */
export function fieldError(field: EncodedField, v: number | bigint): string | undefined {
  const range = FIELD_RANGE[field]; // indexed, not destructured: five calls an instruction, and a
  const lo = range[0], // destructuring runs the iterator protocol (slow in code not yet optimised)
    hi = range[1];
  if (typeof v === "number" ? Number.isInteger(v) && v >= lo && v <= hi : v >= lo && v <= hi) return undefined;
  if (typeof v === "number" && !Number.isInteger(v)) return `${field} ${v} is not an integer`;
  return `${field} ${v} does not fit the ${FIELD_NAME[field]} (${lo}..${hi})`;
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
      insn = withTarget(insn, slots[at] - slots[i] - 1, i);
    }
    writeInsn(view, slots[i] * 8, insn, i);
  }
  return out;
}

/** The instruction with its label resolved to `rel` slots: into imm (gotol, local call) or off. */
export function withTarget(insn: Insn, rel: number, index: number): Insn {
  const inImm = targetInImm(insn.code, insn.src);
  const bad = fieldError(inImm ? "imm" : "off", rel);
  if (bad) throw new EncodeError(`instruction ${index}: jump to '${insn.target}' is out of range: ${bad}`, index);
  return inImm ? { ...insn, imm: rel } : { ...insn, off: rel };
}

/** The first field of `i` that does not fit, as a message, or undefined. */
export function insnFieldError(i: Insn): string | undefined {
  const wide = i.code === LD_IMM64 && i.imm64 !== undefined;
  return (
    fieldError("code", i.code) ??
    fieldError("dst", i.dst) ??
    fieldError("src", i.src) ??
    fieldError("off", i.off) ??
    (wide ? fieldError("imm64", i.imm64!) : fieldError("imm", i.imm))
  );
}

/** Write one instruction (8 or 16 bytes) at a byte offset; throws EncodeError if a field does not fit. */
export function writeInsn(view: DataView, at: number, i: Insn, index = -1): void {
  const bad = insnFieldError(i);
  if (bad) throw new EncodeError(index >= 0 ? `instruction ${index}: ${bad}` : bad, index);
  view.setUint8(at, i.code);
  view.setUint8(at + 1, i.dst | (i.src << 4));
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
