// DSL build entry (`compileToObject: BuildFn`): source text → the pipeline of passes below → one
// BpfObjectInput (maps, programs, sources, log formats) → writeBpfObject → ELF bytes.
//   front end: parse (syntax/) → check (check/)
//   per XDP program: lower (lower/) → optimise → legalise → expand calls → regalloc → peephole →
//   merge tails → select → long branches → estimate (backend/, one file a pass; the checks between them are limits.ts's)
// Never prints; every problem is a Diagnostic with a span, emitted through the one emitter.
import type { BuildFn, BuildOptions, ProgramStats } from "../build-api.js";
import { emitDiagnostics, hasErrors, type Diagnostic } from "../diagnostics.js";
import { diag, type CodeName } from "./codes.js";
import type { BpfObjectInput, LogFormat, ProgramDef } from "../object.js";
import { writeBpfObject } from "../elf/write-object.js";
import type * as A from "./ast.js";
import { parseProgram } from "./syntax/parser.js";
import { checkProgram } from "./check/checker.js";
import { Lowerer, LowerError, type LowerShared } from "./lower/lower.js";
import { logMaps } from "../log-record.js";
import { optimize } from "./backend/optimize.js";
import { legalize } from "./backend/legalize.js";
import { expandCalls } from "./backend/expand-calls.js";
import { allocate } from "./backend/regalloc.js";
import { peephole } from "./backend/peephole.js";
import { mergeTails } from "./backend/tail-merge.js";
import { selectFunc } from "./backend/select.js";
import { lowerLongBranches, type Code } from "./backend/long-branch.js";
import { type CostEstimate, estimateVerifierWork } from "./backend/verifier-cost.js";
import type { Func } from "./ir.js";
import { mapDef } from "./map-defs.js";
import { MAX_USED_MAPS, STACK_LIMIT, VERIFIER_ESTIMATE_FACTOR, VERIFIER_INSN_LIMIT } from "./limits.js";
import { LD_IMM64, type Insn } from "../isa/insn.js";
import { slotIndex } from "../isa/encode.js";

export { STACK_LIMIT } from "./limits.js";
export { mapDef } from "./map-defs.js";

export const compileToObject: BuildFn = (text, file, opts) => {
  const r = compileToInput(text, file, opts);
  if (!r.input) return { diagnostics: r.diagnostics };
  return { object: writeBpfObject(r.input), diagnostics: r.diagnostics, stats: r.stats };
};

export interface CompileResult {
  input?: BpfObjectInput;
  diagnostics: Diagnostic[];
  /** Final IR per program (after register allocation), for tests and debugging. */
  ir?: Map<string, Func>;
  stats?: ProgramStats[];
}

/** Everything but the ELF writing: useful to tests that inspect instructions. */
export function compileToInput(text: string, file: string, opts: BuildOptions): CompileResult {
  const r = compile(text, file, opts);
  return { ...r, diagnostics: emitDiagnostics(r.diagnostics, new Map([[file, text]])) };
}

function compile(text: string, file: string, opts: BuildOptions): CompileResult {
  const parsed = parseProgram(text, file);
  if (hasErrors(parsed.diagnostics)) return { diagnostics: parsed.diagnostics };
  const checked = checkProgram(parsed.ast);
  const diagnostics = [...parsed.diagnostics, ...checked.diagnostics];
  if (hasErrors(diagnostics) || !checked.program) return { diagnostics };
  const p = checked.program;
  if (!p.programs.length)
    return {
      diagnostics: [
        ...diagnostics,
        diag("noXdpProgram", "no XDP program: export a function taking an XdpContext", parsed.ast.span),
      ],
    };
  const shared: LowerShared = {
    maps: new Map(p.maps.map((m) => [m.name, mapDef(m)])),
    logFormats: [],
    usesLogs: false,
  };
  const programs: ProgramDef[] = [];
  const ir = new Map<string, Func>();
  const stats: ProgramStats[] = [];
  for (const prog of p.programs) {
    const r = compileProgram(prog, shared);
    if ("diag" in r) {
      diagnostics.push(r.diag);
      continue;
    }
    ir.set(prog.name, r.func);
    stats.push({ name: prog.name, slots: slotIndex(r.code.insns).at(-1)!, verifierEstimate: r.estimate });
    const { insns, labels } = r.code;
    const ctx = prog.params[0]?.type;
    const kind = ctx?.kind === "ctx" && ctx.frags ? "xdp.frags" : "xdp";
    const section = opts.sectionStyle === "libbpf" ? kind : `${kind}/${prog.name}`;
    programs.push({ section, func: { name: prog.name, insns, labels, global: true } });
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  const maps = [...shared.maps.values()];
  if (shared.usesLogs) maps.push(...logMaps());
  const input: BpfObjectInput = {
    license: "GPL",
    programs,
    maps,
    sources: [{ name: file, text }],
    logFormats: shared.logFormats as LogFormat[],
  };
  return { input, diagnostics, ir, stats };
}

/** One XDP program through the back end's passes, or the first limit it breaks. */
function compileProgram(
  prog: A.FunctionDecl,
  shared: LowerShared,
): { func: Func; code: Code; estimate: number } | { diag: Diagnostic } {
  try {
    const f = new Lowerer(prog, shared).lowerProgram();
    optimize(f, shared.maps);
    legalize(f);
    expandCalls(f);
    const at = (code: CodeName, message: string, span = prog.nameSpan) => ({ diag: diag(code, message, span) });
    if (!allocate(f)) return at("registers", `'${prog.name}' needs more registers than the stack can hold`);
    const stack = `${f.stack} bytes of stack; the limit is ${STACK_LIMIT}`;
    if (f.stack > STACK_LIMIT) return at("stackLimit", `'${prog.name}' needs ${stack}`);
    peephole(f);
    mergeTails(f);
    const code = lowerLongBranches(selectFunc(f));
    const work = estimateVerifierWork(code.insns, code.labels, VERIFIER_INSN_LIMIT / VERIFIER_ESTIMATE_FACTOR);
    const tooHard = verifierOverLimit(prog.name, code.insns, work);
    if (tooHard) return at("verifierLimit", tooHard.message, tooHard.span);
    const tooMany = mapOverLimit(code.insns);
    if (tooMany) return at("mapLimit", mapsMessage(prog.name, tooMany), tooMany.span);
    return { func: f, code, estimate: work.processed };
  } catch (e) {
    if (e instanceof LowerError) return { diag: e.diag };
    return { diag: diag("internal", `internal compiler error: ${(e as Error).message}`, prog.nameSpan) };
  }
}

/** A diagnostic when the verifier would walk more than its limit (at the branch that multiplies the paths). */
function verifierOverLimit(
  name: string,
  insns: readonly Insn[],
  e: CostEstimate,
): { message: string; span?: Insn["span"] } | undefined {
  if (!e.exceeded) return undefined;
  const at = e.hottest ? insns[e.hottest.insn] : undefined;
  const paths = e.hottest
    ? `; the branches of this line split the paths ${e.hottest.forks}+ times (a branch in an unrolled loop whose outcome a later test depends on doubles them per iteration)`
    : "";
  return {
    message: `'${name}' is too complex for the kernel verifier: it would check more than ${VERIFIER_INSN_LIMIT} instructions (estimated; the kernel stops at ${VERIFIER_INSN_LIMIT})${paths}`,
    span: at?.span,
  };
}

function mapsMessage(name: string, m: { count: number; map: string }): string {
  const limit = `the kernel allows ${MAX_USED_MAPS} per program`;
  return `'${name}' uses ${m.count} maps; ${limit} (this is map number ${MAX_USED_MAPS + 1}, '${m.map}')`;
}

/** The first reference to a map beyond MAX_USED_MAPS, with the program's count of distinct maps. */
function mapOverLimit(insns: readonly Insn[]): { count: number; map: string; span?: Insn["span"] } | undefined {
  const used = new Set<string>();
  let first: Insn | undefined;
  for (const i of insns) {
    if (i.code !== LD_IMM64 || i.symbol === undefined || used.has(i.symbol)) continue;
    used.add(i.symbol);
    if (used.size === MAX_USED_MAPS + 1) first = i;
  }
  return first && { count: used.size, map: first.symbol!, span: first.span };
}
