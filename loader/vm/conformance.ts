// bpf_conformance in the VM: takes one parsed case of the suite (loader/conformance.ts parses
// them), assembles it, and runs it directly as ubpf's test plugin does: r1 = the case's memory,
// r2 = its length, helper 5 = ubpf's "unwind" (returns its argument; 0 stops the program),
// callx = a helper call by register value. Produces the same Outcome as the kernel runner.
import type { Assembler, ConformanceCase, Encoder, Outcome } from "../conformance.js";
import { compile, MAX_FRAMES, VmCompileError, type HelperFn, type Machine } from "./compile.js";
import { execute } from "./machine.js";
import { helperName } from "./helpers.js";
import { Memory, VmFault } from "./memory.js";
import { STACK } from "./xdp.js";
import { big, type Reg } from "./reg.js";

class Unwind extends Error {}

const unwind: HelperFn = (x) => {
  x.r[0] = x.r[1];
  if (x.r[1] === 0) throw new Unwind();
};

const HELPERS = new Map<number, HelperFn>([[5, unwind]]);

export function runVmCase(c: ConformanceCase, assemble: Assembler, encode: Encoder): Outcome {
  const { insns, diagnostics } = assemble(c.asm, c.name);
  const errs = diagnostics.filter((d) => d.severity === "error");
  if (errs.length) return c.error ? { status: "pass" } : { status: "fail", why: `assembler: ${errs[0].message}` };
  let r0: bigint;
  try {
    r0 = runBytes(encode(insns), c.mem);
  } catch (e) {
    if (c.error) return { status: "pass" };
    const kind = e instanceof VmCompileError ? "VM refused it" : e instanceof VmFault ? "VM fault" : "error";
    return { status: "fail", why: `${kind}: ${(e as Error).message}` };
  }
  if (c.error)
    return { status: "fail", why: `expected error '${c.error}', but it ran and returned 0x${r0.toString(16)}` };
  if (c.result === undefined) return { status: "fail", why: "no '-- result' section" };
  return r0 === c.result
    ? { status: "pass" }
    : { status: "fail", why: `r0 = 0x${r0.toString(16)}, expected 0x${c.result.toString(16)}` };
}

/** Run raw bytecode with r1 = a copy of mem, r2 = its length; returns r0. */
export function runBytes(bytes: Uint8Array, memBytes: Uint8Array): bigint {
  const mem = new Memory();
  const region = mem.add("mem", memBytes.slice());
  const stacks = Array.from({ length: MAX_FRAMES }, (_, d) =>
    mem.add(d ? `stack (frame ${d})` : "stack", new Uint8Array(STACK), { origin: STACK }),
  );
  const code = compile(
    bytes,
    {
      helper: (id) => HELPERS.get(id),
      helperName,
      helperAt: (id, insn) => {
        const h = HELPERS.get(id);
        if (!h) throw new VmFault(`callx to helper ${helperName(id)}, which does not exist`, insn);
        return h;
      },
      pseudo: (_i, slot) => {
        throw new VmCompileError(`insn ${slot}: ld_imm64 with a pseudo source needs an object's maps`);
      },
    },
    mem,
  );
  const init = new Array<Reg>(11).fill(0);
  init[1] = memBytes.length ? mem.ptr(region, 0) : 0;
  init[2] = memBytes.length;
  init[10] = mem.ptr(stacks[0], STACK);
  const m: Machine = { init, r: init.slice(), mem, frames: [], stacks, n: 0, limit: 0, tail: null };
  try {
    execute(code, m, 1_000_000);
  } catch (e) {
    if (!(e instanceof Unwind)) throw e;
  }
  return big(m.r[0]);
}
