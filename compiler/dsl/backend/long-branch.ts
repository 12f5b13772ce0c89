// Long-branch lowering for the DSL back end: takes a function's Insn[] with `target` labels (from
// select.ts) and rewrites every jump whose distance does not fit the 16-bit `off` field:
//   goto L       → gotol L                              (32-bit offset in imm, kernel ≥ 6.6)
//   if c goto L  → if !c goto +1; gotol L
//   if a & b goto L (jset, no inverse) → if a & b goto +1; goto +1; gotol L
// Lengthening a jump moves the code after it, which can push other jumps out of range, so the
// pass repeats until no jump changes (jumps only ever grow, so it ends). Produces new insns and
// labels; the encoder then range-checks every field.
import { CLASS, JMP, insnWidth, type Insn } from "../../isa/insn.js";
import { FIELD_RANGE } from "../../isa/encode.js";
import { CONDS, condOfCode } from "../../isa/cond.js";

const [OFF_MIN, OFF_MAX] = FIELD_RANGE.off;
const GOTOL = CLASS.JMP32 | JMP.JA;

/** The operation field of the jump testing the opposite of `code`'s, or undefined (jset). */
function inverseOp(code: number): number | undefined {
  const inv = CONDS[condOfCode(code)!]?.inverse;
  return inv && CONDS[inv].op;
}

export interface Code {
  insns: Insn[];
  labels: Map<string, number>;
}

/** A jump that `off` holds (not gotol, not a call): the ones that may need the long form. */
const isShortJump = (i: Insn): boolean =>
  i.target !== undefined && (i.code & 0x07) !== CLASS.LD && i.code !== GOTOL && (i.code & 0xf0) !== JMP.CALL;

/** Slots the long form of a short jump takes. */
function longWidth(i: Insn): number {
  if (i.code === (CLASS.JMP | JMP.JA)) return 1;
  return inverseOp(i.code) !== undefined ? 2 : 3;
}

export function lowerLongBranches(code: Code): Code {
  const { insns, labels } = code;
  const long = new Set<number>();
  for (;;) {
    const slots = slotsWith(insns, long);
    let grew = false;
    insns.forEach((i, k) => {
      if (long.has(k) || !isShortJump(i)) return;
      const rel = slots[labels.get(i.target!)!] - slots[k] - 1;
      if (rel < OFF_MIN || rel > OFF_MAX) long.add(k), (grew = true);
    });
    if (!grew) break;
  }
  return long.size ? rewrite(code, long) : code;
}

/** Slot index of every instruction (and the end) when the jumps in `long` take their long form. */
function slotsWith(insns: readonly Insn[], long: ReadonlySet<number>): number[] {
  const slots = new Array<number>(insns.length + 1);
  let s = 0;
  insns.forEach((i, k) => {
    slots[k] = s;
    s += long.has(k) ? longWidth(i) : insnWidth(i);
  });
  slots[insns.length] = s;
  return slots;
}

function rewrite(code: Code, long: ReadonlySet<number>): Code {
  const index: number[] = [];
  const insns: Insn[] = [];
  code.insns.forEach((i, k) => {
    index.push(insns.length);
    insns.push(...(long.has(k) ? longForm(i) : [i]));
  });
  index.push(insns.length);
  const labels = new Map([...code.labels].map(([name, at]) => [name, index[at]!]));
  return { insns, labels };
}

function longForm(i: Insn): Insn[] {
  const { target, ...cond } = i;
  const plain = (code: number, off: number): Insn => ({
    code,
    dst: 0,
    src: 0,
    off,
    imm: 0,
    ...(i.span && { span: i.span }),
  });
  const gotol: Insn = { ...plain(GOTOL, 0), target };
  if (i.code === (CLASS.JMP | JMP.JA)) return [gotol];
  const inv = inverseOp(i.code);
  if (inv !== undefined) return [{ ...cond, code: (i.code & 0x0f) | inv, off: 1 }, gotol];
  return [{ ...cond, off: 1 }, plain(CLASS.JMP | JMP.JA, 1), gotol];
}
