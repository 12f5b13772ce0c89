// What the kernel verifies per call graph: takes each compiled function's code (by name), its own
// verifier estimate and whether it is global, and produces per program or global function (a unit
// the verifier checks on its own) the estimate with the static subprograms it calls — each checked
// again in its caller's context, once per call site — and the maps its whole call graph uses
// (the kernel's used_maps, MAX_USED_MAPS per program, counts every subprogram's; a global function
// it calls is checked separately but loaded with it, so its maps count too).
import type { Insn } from "../isa/insn.js";
import { LD_IMM64 } from "../isa/insn.js";

export interface CompiledFn {
  insns: readonly Insn[];
  estimate: number;
  global: boolean;
}

/** The callee names of a function's BPF-to-BPF calls, one per call site. */
function callSites(insns: readonly Insn[]): string[] {
  return insns.flatMap((i) => (i.src === 1 && i.code === 0x85 && i.symbol ? [i.symbol] : []));
}

/** The verifier's work for `name` as a unit: its own, plus each static callee's per call site. */
export function unitEstimate(name: string, fns: ReadonlyMap<string, CompiledFn>): number {
  const f = fns.get(name);
  if (!f) return 0;
  const statics = callSites(f.insns).filter((c) => !fns.get(c)?.global);
  return f.estimate + statics.reduce((n, c) => n + unitEstimate(c, fns), 0);
}

/** The distinct maps (and global data sections) `name` and every function it reaches refer to, in order of first use. */
export function unitMaps(name: string, fns: ReadonlyMap<string, CompiledFn>): { map: string; insn: Insn }[] {
  const seen = new Set<string>(),
    out: { map: string; insn: Insn }[] = [];
  const visit = (n: string, done: Set<string>): void => {
    const f = fns.get(n);
    if (!f || done.has(n)) return;
    done.add(n);
    for (const i of f.insns)
      if (i.code === LD_IMM64 && i.symbol !== undefined && !fns.has(i.symbol) && !seen.has(i.symbol))
        seen.add(i.symbol), out.push({ map: i.symbol, insn: i });
    for (const c of callSites(f.insns)) visit(c, done);
  };
  visit(name, new Set());
  return out;
}
