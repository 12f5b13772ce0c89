// Relocation as a visible step, after aya-obj's relocate_calls / relocate_maps: takes the object
// layer's functions (Insn[] with relocation records by slot, compiler/object.ts) and produces the
// instructions the kernel loads. relocateCalls links a program: it appends every function the
// program (transitively) calls and points each call, or ld_imm64 of a function's address, at it.
// relocateMaps points each ld_imm64 of a map (or of global data) at a map fd. No syscalls: the
// loader and the VM call both, with fds or their own handles.
import { PSEUDO } from "../abi.js";
import { LD_IMM64, type Insn } from "../isa/insn.js";
import { slotIndex } from "../isa/encode.js";
import type { BtfExtRecords, LinkedProgram, ObjFunction, ProgramReloc } from "../object.js";

/** A relocation that does not fit its instruction (a map relocation on anything but ld_imm64). */
export class RelocError extends Error {}

/** The program with every function it calls appended (in the order first called), calls resolved. */
export function relocateCalls(entry: ObjFunction, functions: readonly ObjFunction[]): LinkedProgram {
  const parts: ObjFunction[] = [entry];
  const base = new Map<ObjFunction, number>([[entry, 0]]);
  let total = slotsOf(entry);
  const place = (f: ObjFunction): number => {
    const known = base.get(f);
    if (known !== undefined) return known;
    parts.push(f);
    base.set(f, total);
    total += slotsOf(f);
    return base.get(f)!;
  };
  const insns: Insn[] = [];
  const relocs: ProgramReloc[] = [];
  for (let k = 0; k < parts.length; k++) {
    const f = parts[k]!,
      at = base.get(f)!;
    const code = f.insns.slice();
    const index = indexBySlot(f.insns);
    for (const r of f.relocs) {
      if (!r.callee) {
        relocs.push({ ...r, slot: at + r.slot });
        continue;
      }
      const callee = r.callee.func < 0 ? entry : functions[r.callee.func]!;
      const slot = at + r.slot,
        i = index.get(r.slot)!;
      code[i] = pointAt(code[i]!, place(callee) + r.callee.slot - (slot + 1));
      relocs.push({ slot, symbol: r.symbol, kind: "call" });
    }
    insns.push(...code);
  }
  const linked: LinkedProgram = { name: entry.name, section: entry.section, insns, relocs };
  const ext = linkExt(parts, base);
  if (ext) linked.btfExt = ext;
  return linked;
}

/** A call (or ld_imm64 of a function) pointing `rel` slots past itself (BPF_PSEUDO_FUNC for loads). */
function pointAt(i: Insn, rel: number): Insn {
  if (i.code !== LD_IMM64) return { ...i, imm: rel };
  const high = BigInt.asUintN(64, i.imm64 ?? BigInt(i.imm)) >> 32n;
  return { ...i, src: PSEUDO.FUNC, imm: rel, imm64: (high << 32n) | BigInt(rel >>> 0) };
}

const slotsOf = (f: ObjFunction): number => slotIndex(f.insns)[f.insns.length]!;

function indexBySlot(insns: readonly Insn[]): Map<number, number> {
  const slots = slotIndex(insns);
  return new Map(insns.map((_, i) => [slots[i]!, i]));
}

/** The parts' func/line info and CO-RE records, moved to where each part was placed. */
function linkExt(parts: ObjFunction[], base: ReadonlyMap<ObjFunction, number>): BtfExtRecords | undefined {
  if (!parts[0]!.btfExt) return undefined;
  const out: BtfExtRecords = { funcInfo: [], lineInfo: [] };
  for (const f of parts) {
    const at = base.get(f)!,
      ext = f.btfExt;
    if (!ext) continue;
    for (const r of ext.funcInfo) out.funcInfo.push({ ...r, insnOff: r.insnOff + at });
    for (const r of ext.lineInfo) out.lineInfo.push({ ...r, insnOff: r.insnOff + at });
    for (const r of ext.coreRelo ?? []) (out.coreRelo ??= []).push({ ...r, insnOff: r.insnOff + at });
  }
  return out;
}

/**
 * The instructions with each map (or global data) relocation pointing at `fdOf(reloc)`:
 * BPF_PSEUDO_MAP_FD (a map) or BPF_PSEUDO_MAP_VALUE (global data: the second imm is the offset in
 * the value, the symbol's offset plus the instruction's imm, as libbpf's RELO_DATA computes it).
 * Calls and other relocations are left alone; fdOf throws for a symbol that is not a map.
 */
export function relocateMaps(
  insns: readonly Insn[],
  relocs: readonly ProgramReloc[],
  fdOf: (r: ProgramReloc) => number,
): Insn[] {
  const out = insns.slice();
  const index = indexBySlot(insns);
  for (const r of relocs) {
    if (r.kind === "call" || r.kind === "other") continue;
    const i = index.get(r.slot);
    const insn = i === undefined ? undefined : out[i];
    if (!insn || insn.code !== LD_IMM64 || insn.imm64 === undefined)
      throw new RelocError(`relocation for '${r.symbol}' at instruction ${r.slot} is not an ld_imm64`);
    const fd = fdOf(r);
    const high = r.data ? BigInt((insn.imm + r.data.offset) >>> 0) : 0n;
    const src = r.data ? PSEUDO.MAP_VALUE : PSEUDO.MAP_FD;
    out[i!] = { ...insn, src, imm: fd, imm64: (high << 32n) | BigInt(fd >>> 0) };
  }
  return out;
}
