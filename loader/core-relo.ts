// Applies a program's CO-RE relocations (.BTF.ext core_relo, from clang's preserve_access_index)
// before BPF_PROG_LOAD: takes the linked instructions, the object's BTF and a target BTF (the
// running kernel's /sys/kernel/btf/vmlinux unless given), computes each value (core-spec.ts) and
// patches the instruction as libbpf's bpf_core_patch_insn does. A relocation is never skipped:
// unknown kinds and impossible patches are errors; a missing field poisons the instruction
// (call 0xbad2310), which the verifier refuses if it is reachable.
import { readFileSync } from "node:fs";
import type { LoadedProgram } from "../compiler/object.js";
import { CALL, CLASS, LD_IMM64, SIZE, SRC } from "../compiler/isa/insn.js";
import { parseBtf, type ParsedBtf } from "../compiler/elf/btf.js";
import { computeRelo, CORE_KIND_NAMES, describeAccess, kindCompat, type CoreResult } from "./core-spec.js";
import { CoreError, essentialName } from "./core-names.js";
import { LoaderError } from "./errors.js";

export const VMLINUX_BTF = "/sys/kernel/btf/vmlinux";
/** The helper id libbpf writes into a poisoned instruction ("bad relo"); the verifier says "unknown#195896080". */
export const POISON_IMM = 0xbad2310;

type Relo = NonNullable<NonNullable<LoadedProgram["btfExt"]>["coreRelo"]>[number];

let vmlinux: ParsedBtf | undefined;

/** The running kernel's BTF, parsed once per process. */
export function kernelBtf(): ParsedBtf {
  if (vmlinux) return vmlinux;
  let bytes: Buffer;
  try {
    bytes = readFileSync(VMLINUX_BTF);
  } catch {
    throw new LoaderError(
      "core",
      "",
      `CO-RE relocations need the kernel's BTF, and ${VMLINUX_BTF} cannot be read (kernel built without CONFIG_DEBUG_INFO_BTF?)`,
    );
  }
  return (vmlinux = parseBtf(new Uint8Array(bytes)));
}

const candidateIndex = new WeakMap<ParsedBtf, Map<string, number[]>>();

/** Target type ids with the same essential name as local type `id` and a compatible kind (libbpf bpf_core_add_cands). */
export function candidates(local: ParsedBtf, id: number, target: ParsedBtf): number[] {
  let index = candidateIndex.get(target);
  if (!index) {
    index = new Map();
    target.types.forEach((t, i) => {
      const n = "name" in t && t.name ? essentialName(t.name) : "";
      if (n) index!.get(n)?.push(i) ?? index!.set(n, [i]);
    });
    candidateIndex.set(target, index);
  }
  const lt = local.types[id];
  if (!lt || !("name" in lt)) return [];
  return (index.get(essentialName(lt.name)) ?? []).filter((i) => kindCompat(lt, target.types[i]));
}

/** A poisoned instruction (a field or enumerator the kernel lacks) and the relocation that did it. */
export interface Poisoned {
  insn: number;
  what: string;
}

/**
 * Patches `insns` (the program's linked instructions) in place. Returns the poisoned instructions,
 * for the error if the verifier reaches one.
 */
export function applyCoreRelocations(
  insns: Buffer,
  prog: Pick<LoadedProgram, "name" | "section" | "btfExt">,
  localBtf: ParsedBtf | undefined,
  target: () => ParsedBtf = kernelBtf,
): Poisoned[] {
  const relos = prog.btfExt?.coreRelo ?? [];
  if (!relos.length) return [];
  for (const r of relos)
    if (!CORE_KIND_NAMES[r.kind])
      throw new LoaderError(
        "core",
        "",
        `CO-RE relocation kind ${r.kind} at insn ${r.insnOff} of ${prog.section} is not supported`,
      );
  if (!localBtf)
    throw new LoaderError(
      "core",
      `program ${prog.name}`,
      `has CO-RE relocations but the object's BTF could not be read`,
    );
  const tbtf = target();
  const poisoned: Poisoned[] = [];
  relos.forEach((r, i) => {
    const where = `CO-RE relocation #${i} (${CORE_KIND_NAMES[r.kind]} of ${describeAccess(localBtf, r)}) at insn ${r.insnOff} of ${prog.section}`;
    try {
      const res = computeRelo(r, localBtf, tbtf, candidates(localBtf, r.typeId, tbtf));
      if (patchInsn(insns, r, res)) poisoned.push({ insn: r.insnOff, what: where });
    } catch (e) {
      if (e instanceof CoreError || e instanceof PatchError)
        throw new LoaderError("core", `program ${prog.name}: ${where}`, e.message);
      throw e;
    }
  });
  return poisoned;
}

/** When the verifier reached a poisoned instruction, name its relocation instead of "unknown#195896080". */
export function explainPoison(err: Error, log: string, poisoned: Poisoned[]): Error {
  const at = new RegExp(`^(\\d+): \\(85\\) call unknown#${POISON_IMM}$`, "m").exec(log);
  const p = at && poisoned.find((x) => x.insn === Number(at[1]));
  if (!p) return err;
  return new LoaderError(
    "core",
    p.what,
    `the kernel's BTF has no such field or enumerator, and the instruction is reachable (guard it with bpf_core_field_exists)\n${err.message}`,
  );
}

class PatchError extends Error {}

function poison(insns: Buffer, off: number): void {
  insns[off] = CALL;
  insns[off + 1] = 0;
  insns.writeInt16LE(0, off + 2);
  insns.writeInt32LE(POISON_IMM, off + 4);
}

const SIZE_BYTES: Record<number, number> = { [SIZE.DW]: 8, [SIZE.W]: 4, [SIZE.H]: 2, [SIZE.B]: 1 };
const BYTES_SIZE: Record<number, number> = { 8: SIZE.DW, 4: SIZE.W, 2: SIZE.H, 1: SIZE.B };
const SIZE_BITS = SIZE.DW; // the size field's mask

/** Patches one instruction (libbpf bpf_core_patch_insn); returns true when it was poisoned. */
function patchInsn(insns: Buffer, r: Relo, res: CoreResult): boolean {
  const off = r.insnOff * 8;
  if (off + 8 > insns.length) throw new PatchError("instruction offset outside the program");
  const code = insns[off],
    cls = code & 7;
  const isLdImm64 = code === LD_IMM64;
  if (res.poison) {
    if (isLdImm64 && off + 16 <= insns.length) poison(insns, off + 8);
    poison(insns, off);
    return true;
  }
  const expect = (got: number | bigint) => {
    if (res.validate && BigInt.asUintN(64, BigInt(got)) !== res.orig)
      throw new PatchError(`instruction holds ${got}, expected ${res.orig}`);
  };
  if (cls === CLASS.ALU || cls === CLASS.ALU64) {
    if (code & SRC.X) throw new PatchError(`instruction 0x${code.toString(16)} has no immediate to patch`);
    expect(insns.readInt32LE(off + 4));
    const v = BigInt.asIntN(64, res.value);
    if (v < -(1n << 31n) || v > 0xffffffffn) throw new PatchError(`value ${v} does not fit a 32-bit immediate`);
    insns.writeUInt32LE(Number(BigInt.asUintN(32, v)), off + 4);
  } else if (cls === CLASS.LDX || cls === CLASS.ST || cls === CLASS.STX) {
    expect(insns.readInt16LE(off + 2));
    if (res.value > 32767n) throw new PatchError(`offset ${res.value} does not fit the instruction's 16-bit offset`);
    if (res.failMemsz)
      throw new PatchError(
        `the kernel's field is ${res.newSz} bytes, not ${res.origSz}, and is not a pointer or unsigned integer`,
      );
    insns.writeInt16LE(Number(res.value), off + 2);
    if (res.newSz !== res.origSz) resize(insns, off, res);
  } else if (isLdImm64) {
    if (
      off + 16 > insns.length ||
      insns[off + 1] >> 4 ||
      insns.readInt16LE(off + 2) ||
      insns[off + 8] ||
      insns[off + 9] ||
      insns.readInt16LE(off + 10)
    )
      throw new PatchError("ld_imm64 of an unexpected form");
    expect((BigInt(insns.readUInt32LE(off + 12)) << 32n) | BigInt(insns.readUInt32LE(off + 4)));
    insns.writeUInt32LE(Number(res.value & 0xffffffffn), off + 4);
    insns.writeUInt32LE(Number(res.value >> 32n), off + 12);
  } else throw new PatchError(`instruction 0x${code.toString(16)} cannot be relocated`);
  return false;
}

/** A load/store of a field whose size differs in the kernel: change the access size. */
function resize(insns: Buffer, off: number, res: CoreResult): void {
  const code = insns[off];
  if (SIZE_BYTES[code & SIZE_BITS] !== res.origSz)
    throw new PatchError(`access of ${SIZE_BYTES[code & SIZE_BITS]} bytes, expected ${res.origSz}`);
  const size = BYTES_SIZE[res.newSz];
  if (size === undefined) throw new PatchError(`the kernel's field is ${res.newSz} bytes, which no load can read`);
  insns[off] = (code & ~SIZE_BITS) | size;
}
