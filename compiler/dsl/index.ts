// DSL build entry (`compileToObject: BuildFn`): source text → parse → check → per XDP program:
// lower → optimise → legalise → expand calls → allocate registers → select Insn[] → one
// BpfObjectInput (maps, programs, sources, log formats) → writeBpfObject → ELF bytes.
// Never prints; every problem is a Diagnostic with a span, emitted through the one emitter.
import type { BuildFn, BuildOptions } from "../build-api.js";
import { emitDiagnostics, hasErrors, type Diagnostic } from "../diagnostics.js";
import { diag } from "./codes.js";
import type { BpfObjectInput, LogFormat, MapDef, ProgramDef, TypeDesc } from "../object.js";
import { writeBpfObject } from "../elf/write-object.js";
import type * as A from "./ast.js";
import { MAPS } from "./catalog.js";
import { parseProgram } from "./syntax/parser.js";
import { checkProgram } from "./check/checker.js";
import { Lowerer, LowerError, type LowerShared } from "./lower/lower.js";
import { logMaps } from "../log-record.js";
import { legalize, optimize } from "./backend/optimize.js";
import { allocate, expandCalls } from "./backend/regalloc.js";
import { selectFunc } from "./backend/select.js";
import type { Func } from "./ir.js";
import { MAX_USED_MAPS, STACK_LIMIT, VERIFIER_ESTIMATE_FACTOR, VERIFIER_INSN_LIMIT } from "./limits.js";
import { estimateVerifierWork } from "./backend/verifier-cost.js";
import { LD_IMM64, type Insn } from "../isa/insn.js";

export { STACK_LIMIT } from "./limits.js";

export const compileToObject: BuildFn = (text, file, opts) => {
  const r = compileToInput(text, file, opts);
  if (!r.input) return { diagnostics: r.diagnostics };
  return { object: writeBpfObject(r.input), diagnostics: r.diagnostics };
};

export interface CompileResult {
  input?: BpfObjectInput;
  diagnostics: Diagnostic[];
  /** Final IR per program (after register allocation), for tests and debugging. */
  ir?: Map<string, Func>;
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
  if (!p.programs.length) return { diagnostics: [...diagnostics, diag("noXdpProgram", "no XDP program: export a function taking an XdpContext", parsed.ast.span)] };
  const shared: LowerShared = { maps: new Map(p.maps.map((m) => [m.name, mapDef(m)])), logFormats: [], usesLogs: false };
  const programs: ProgramDef[] = [];
  const ir = new Map<string, Func>();
  for (const prog of p.programs) {
    try {
      const f = compileFunc(prog, shared);
      if (f.stack > STACK_LIMIT) {
        diagnostics.push(diag("stackLimit", `'${prog.name}' needs ${f.stack} bytes of stack; the limit is ${STACK_LIMIT}`, prog.nameSpan));
        continue;
      }
      ir.set(prog.name, f);
      const { insns, labels } = selectFunc(f);
      const tooHard = verifierOverLimit(prog.name, insns, labels);
      if (tooHard) {
        diagnostics.push(diag("verifierLimit", tooHard.message, tooHard.span ?? prog.nameSpan));
        continue;
      }
      const tooMany = mapOverLimit(insns);
      if (tooMany) {
        diagnostics.push(diag("mapLimit", `'${prog.name}' uses ${tooMany.count} maps; the kernel allows ${MAX_USED_MAPS} per program (this is map number ${MAX_USED_MAPS + 1}, '${tooMany.map}')`, tooMany.span ?? prog.nameSpan));
        continue;
      }
      programs.push({ section: opts.sectionStyle === "libbpf" ? "xdp" : `xdp/${prog.name}`, func: { name: prog.name, insns, labels, global: true } });
    } catch (e) {
      if (e instanceof LowerError) diagnostics.push(e.diag);
      else diagnostics.push(diag("internal", `internal compiler error: ${(e as Error).message}`, prog.nameSpan));
    }
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  const maps = [...shared.maps.values()];
  if (shared.usesLogs) maps.push(...logMaps());
  const input: BpfObjectInput = { license: "GPL", programs, maps, sources: [{ name: file, text }], logFormats: shared.logFormats as LogFormat[] };
  return { input, diagnostics, ir };
}

/** A diagnostic when the verifier would walk more than its limit (at the branch that multiplies the paths). */
function verifierOverLimit(name: string, insns: readonly Insn[], labels: ReadonlyMap<string, number>): { message: string; span?: Insn["span"] } | undefined {
  const e = estimateVerifierWork(insns, labels, VERIFIER_INSN_LIMIT / VERIFIER_ESTIMATE_FACTOR);
  if (!e.exceeded) return undefined;
  const at = e.hottest ? insns[e.hottest.insn] : undefined;
  const paths = e.hottest ? `; the branches of this line split the paths ${e.hottest.forks}+ times (a branch in an unrolled loop whose outcome a later test depends on doubles them per iteration)` : "";
  return { message: `'${name}' is too complex for the kernel verifier: it would check more than ${VERIFIER_INSN_LIMIT} instructions (estimated; the kernel stops at ${VERIFIER_INSN_LIMIT})${paths}`, span: at?.span };
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

function compileFunc(prog: A.FunctionDecl, shared: LowerShared): Func {
  const f = new Lowerer(prog, shared).lowerProgram();
  optimize(f);
  legalize(f);
  expandCalls(f);
  if (!allocate(f)) throw new LowerError(diag("registers", `'${prog.name}' needs more registers than the stack can hold`, prog.nameSpan));
  return f;
}

function intDesc(t: A.IntType): TypeDesc {
  return { kind: "int", name: t.name, size: (t.bits / 8) as 1 | 2 | 4 | 8, signed: t.signed };
}

export function mapDef(m: A.MapDecl): MapDef {
  const cls = MAPS[m.mapClass]!;
  const t = m.type!;
  const maxEntries = m.maxEntries ?? 1;
  if (cls.type === 27) return { name: m.name, type: cls.type, keySize: 0, valueSize: 0, maxEntries, flags: 0 };
  const valueSize = t.value.bits / 8;
  if (cls.type === 11) {
    const dataSize = t.key.bits / 8;
    const key: TypeDesc = {
      kind: "struct", name: `${m.name.toLowerCase()}_key`, size: 4 + dataSize,
      members: [{ name: "prefixlen", type: intDesc({ kind: "int", name: "u32", bits: 32, signed: false }), offset: 0 }, { name: "data", type: { kind: "array", elem: intDesc({ kind: "int", name: "u8", bits: 8, signed: false }), len: dataSize }, offset: 4 }],
    };
    return { name: m.name, type: cls.type, keySize: 4 + dataSize, valueSize, maxEntries, flags: cls.flags, key, value: intDesc(t.value) };
  }
  return { name: m.name, type: cls.type, keySize: t.key.bits / 8, valueSize, maxEntries, flags: cls.flags, key: intDesc(t.key), value: intDesc(t.value) };
}
