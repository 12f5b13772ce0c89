// CO-RE relocations in the VM: takes a program's encoded instructions, the program (its .BTF.ext
// core_relo records) and the object's BTF, and applies the relocations as the kernel loader does
// (loader/core-relo.ts, against the running kernel's /sys/kernel/btf/vmlinux: the layout a kernel
// run sees). Produces the patched code and the helper a poisoned instruction (a field or value the
// kernel lacks) calls: it faults when reached, where the verifier refuses to load the program.
import { parseBtf } from "../../compiler/elf/btf.js";
import type { LinkedProgram } from "../../compiler/object.js";
import { applyCoreRelocations, type Poisoned } from "../core-relo.js";
import { LoaderError } from "../errors.js";
import { VmCompileError, type HelperFn } from "./machine.js";
import { VmFault } from "./memory.js";

export { POISON_IMM } from "../core-relo.js";

/** The code with its CO-RE relocations applied (unchanged without any) and the poison helper. */
export function coreRelocate(code: Uint8Array, prog: LinkedProgram, btf: Uint8Array | undefined) {
  if (!prog.btfExt?.coreRelo?.length) return { code, poison: undefined };
  const insns = Buffer.from(code);
  let poisoned: Poisoned[];
  try {
    poisoned = applyCoreRelocations(insns, prog, btf?.length ? parseBtf(btf) : undefined);
  } catch (e) {
    throw e instanceof LoaderError ? new VmCompileError(e.message) : e;
  }
  const poison: HelperFn = (_x, insn) => {
    const what = poisoned.find((p) => p.insn === insn)?.what ?? "a CO-RE relocation";
    throw new VmFault(`${what}: the kernel's BTF has no such field or value`, insn);
  };
  return { code: insns, poison };
}
