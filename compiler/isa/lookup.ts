// Reverse maps derived from the instruction table (never written by hand): opcode byte → entries,
// name → entry, ubpf mnemonic → entries. Takes OP_TABLE; produces lookup functions.
import { CALL, CALL_KIND, GOTOL, type Insn } from "./insn.js";
import { OP_TABLE, type Field, type OpEntry } from "./table.js";

const byCode = new Map<number, OpEntry[]>();
const byName = new Map<string, OpEntry>();
for (const e of OP_TABLE) {
  if (byName.has(e.name)) throw new Error(`isa table: duplicate name ${e.name}`);
  byName.set(e.name, e);
  const list = byCode.get(e.code) ?? [];
  list.push(e);
  byCode.set(e.code, list);
}
// Entries with discriminators first, so `sdiv` (off=1) wins over `div`.
for (const list of byCode.values()) list.sort((a, b) => discCount(b) - discCount(a));

function discCount(e: OpEntry): number {
  return (e.off !== undefined ? 1 : 0) + (e.imm !== undefined ? 1 : 0) + (e.src !== undefined ? 1 : 0);
}

/** Which fields an entry's placeholders read (the others must be zero unless `lax`). */
export function usedFields(e: OpEntry): Set<Field> {
  const t = [e.asm, e.asm32, e.llvm14, ...(e.parse ?? [])].join(" ");
  const used = new Set<Field>();
  if (/%[rw]d|%rimm/.test(t)) used.add("dst");
  if (/%[rw]s|%srcn/.test(t)) used.add("src");
  if (/%off|%tgt/.test(t)) used.add("off");
  if (/%imm|%ltgt|%asd|%ass|%rimm|%sym|%pimm/.test(t)) used.add("imm");
  if (e.name.startsWith("ldabs") || e.name.startsWith("ldind")) used.add("dst");
  return used;
}

/** LLVM's decoder ignores src in K forms and imm in X forms of ALU ops and conditional jumps. */
function classLax(e: OpEntry): Field[] {
  const cls = e.code & 7;
  const op = e.code & 0xf0;
  const isAlu = cls === 4 || cls === 7;
  const isCond = (cls === 5 || cls === 6) && op >= 0x10 && op <= 0xd0 && op !== 0x80 && op !== 0x90;
  if (!isAlu && !isCond) return e.name === "gotol" ? ["off"] : [];
  if (isAlu && op === 0xd0) return [];
  return e.code & 0x08 ? ["imm"] : ["src"];
}

const checked = new Map<OpEntry, Field[]>();
function mustBeZero(e: OpEntry): Field[] {
  let f = checked.get(e);
  if (!f) {
    const used = usedFields(e);
    const fixed = new Set<Field>([...(e.lax ?? []), ...classLax(e)]);
    if (e.off !== undefined) fixed.add("off");
    if (e.imm !== undefined) fixed.add("imm");
    if (e.src !== undefined) fixed.add("src");
    f = (["dst", "src", "off", "imm"] as Field[]).filter((x) => !used.has(x) && !fixed.has(x));
    checked.set(e, f);
  }
  return f;
}

/** An entry with its checks flattened (built lazily per opcode: objdump calls findEntry per slot). */
interface Candidate {
  e: OpEntry;
  zDst: boolean;
  zSrc: boolean;
  zOff: boolean;
  zImm: boolean;
}
const candidates: (Candidate[] | null | undefined)[] = new Array(256).fill(undefined);
function candidatesFor(code: number): Candidate[] | null {
  let c = candidates[code];
  if (c === undefined) {
    const list = byCode.get(code);
    c = list
      ? list.map((e) => {
          const z = mustBeZero(e);
          return {
            e,
            zDst: z.includes("dst"),
            zSrc: z.includes("src"),
            zOff: z.includes("off"),
            zImm: z.includes("imm"),
          };
        })
      : null;
    candidates[code] = c;
  }
  return c;
}

/**
 * The table entry an instruction is an instance of, or undefined (printed `<unknown>`).
 * `llvm14`: decode as LLVM 14 does, which ignores the off field of ALU instructions.
 */
export function findEntry(i: Insn, llvm14 = false): OpEntry | undefined {
  const list = candidatesFor(i.code & 0xff);
  if (list === null || i.code !== (i.code & 0xff)) return undefined;
  const cls = i.code & 7;
  if (llvm14 && (cls === 4 || cls === 7) && i.off !== 0) {
    const plain = list.find((c) => c.e.off === undefined && (c.e.imm === undefined || c.e.imm === i.imm));
    if (plain && !(plain.zDst && i.dst !== 0) && !(plain.zSrc && i.src !== 0) && !(plain.zImm && i.imm !== 0))
      return plain.e;
  }
  for (let k = 0; k < list.length; k++) {
    const c = list[k],
      e = c.e;
    if (e.off !== undefined && e.off !== i.off) continue;
    if (e.imm !== undefined && e.imm !== i.imm) continue;
    if (e.src !== undefined && e.src !== i.src) continue;
    if ((c.zDst && i.dst !== 0) || (c.zSrc && i.src !== 0) || (c.zOff && i.off !== 0) || (c.zImm && i.imm !== 0))
      continue;
    return e;
  }
  return undefined;
}

export function entryByName(name: string): OpEntry {
  const e = byName.get(name);
  if (!e) throw new Error(`isa table: no entry ${name}`);
  return e;
}

export const ubpfEntries: ReadonlyMap<string, OpEntry[]> = (() => {
  const m = new Map<string, OpEntry[]>();
  for (const e of OP_TABLE) if (e.ubpf) m.set(e.ubpf, [...(m.get(e.ubpf) ?? []), e]);
  return m;
})();

/** Does the jump target of this entry live in imm (gotol, local call) rather than off? */
export function targetInImm(code: number, src: number): boolean {
  return code === GOTOL || (code === CALL && src === CALL_KIND.LOCAL);
}
