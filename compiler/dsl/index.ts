// DSL build entry (`compileToObject: BuildFn`): source text → the pipeline of passes below → one
// BpfObjectInput (maps, programs, sources, log formats) → writeBpfObject → ELF bytes.
//   front end: parse (syntax/) → check (check/)
//   per XDP program: lower (lower/) → optimise → legalise → expand calls → regalloc → peephole →
//   merge tails → select → long branches → estimate (backend/, one file a pass; the checks between them are limits.ts's)
// Never prints; every problem is a Diagnostic with a span, emitted through the one emitter.
import type { BuildFn, BuildOptions, ProgramStats } from "../build-api.js";
import { emitDiagnostics, hasErrors, type Diagnostic } from "../diagnostics.js";
import { diag, type CodeName } from "./codes.js";
import type {
  BpfObjectInput,
  FuncDef,
  GlobalSectionDef,
  LogFormat,
  ParamDesc,
  ProgramDef,
  TypeDesc,
} from "../object.js";
import { type MemType, sizeOf, typeDesc } from "./layout.js";
import { HEADERS, INT_TYPES } from "./catalog.js";
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
import { blockLabel, selectFunc } from "./backend/select.js";
import { lowerLongBranches, type Code } from "./backend/long-branch.js";
import { insertMayGoto } from "./backend/may-goto.js";
import { type CostEstimate, estimateVerifierWork } from "./backend/verifier-cost.js";
import type { Func } from "./ir.js";
import { mapDef } from "./map-defs.js";
import { chooseCalled } from "./inlining.js";
import { unitEstimate, unitMaps } from "./call-graph.js";
import { FRAME_ALIGN, MAX_USED_MAPS, STACK_LIMIT, VERIFIER_ESTIMATE_FACTOR, VERIFIER_INSN_LIMIT } from "./limits.js";
import type { Insn } from "../isa/insn.js";
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
    loops: opts.loops ?? "auto",
  };
  const { called, diagnostics: globalDiags } = chooseCalled(p);
  if (globalDiags.length) return { diagnostics: [...diagnostics, ...globalDiags] };
  shared.called = new Map([...called].map((f) => [f, { atomic: f.params.map(() => false) }]));
  const programs: ProgramDef[] = [];
  const ir = new Map<string, Func>();
  const stats: ProgramStats[] = [];
  const funcs = new Map<A.FunctionDecl, { func: Func; code: Code; estimate: number }>();
  // programs first, then subprograms callers first: a call records whether a struct argument is atomic
  for (const fn of [...p.programs, ...[...p.functions].reverse().filter((f) => called.has(f))]) {
    const r = compileLoops(fn, shared);
    if ("diag" in r) diagnostics.push(r.diag);
    else funcs.set(fn, r), ir.set(fn.name, r.func);
  }
  const units = new Map(
    [...funcs].map(([fn, r]) => [fn.name, { insns: r.code.insns, estimate: r.estimate, global: fn.role === "global" }]),
  );
  for (const fn of [...p.programs, ...p.functions.filter((f) => f.role === "global" && funcs.has(f))]) {
    const r = funcs.get(fn);
    if (!r) continue;
    const used = unitMaps(fn.name, units);
    const over = used[MAX_USED_MAPS];
    if (over)
      diagnostics.push(diag("mapLimit", mapsMessage(fn.name, { count: used.length, map: over.map }), over.insn.span));
    const verifierEstimate = unitEstimate(fn.name, units);
    const slots = slotIndex(r.code.insns).at(-1)!;
    stats.push({
      name: fn.name,
      slots,
      verifierEstimate,
      maps: used.length,
      ...(fn.role === "global" && { global: true }),
    });
  }
  for (const prog of p.programs) {
    const r = funcs.get(prog);
    if (!r) continue;
    const { insns, labels } = r.code;
    const ctx = prog.params[0]?.type;
    const kind = ctx?.kind === "ctx" && ctx.frags ? "xdp.frags" : "xdp";
    const section = opts.sectionStyle === "libbpf" ? kind : `${kind}/${prog.name}`;
    programs.push({ section, func: { name: prog.name, insns, labels, global: true } });
    const deep = callChainStack(prog.name, funcs);
    if (deep) diagnostics.push(diag("stackLimit", deep, prog.nameSpan));
  }
  const subprograms = [...funcs]
    .filter(([fn]) => fn.role !== "xdp")
    .sort(([a], [b]) => (a.span.offset ?? 0) - (b.span.offset ?? 0))
    .map(([fn, r]) => {
      const global = fn.role === "global";
      return { name: fn.name, insns: r.code.insns, labels: r.code.labels, global, proto: proto(fn) };
    });
  if (hasErrors(diagnostics)) return { diagnostics };
  const maps = [...shared.maps.values()];
  if (shared.usesLogs) maps.push(...logMaps());
  const globals = globalSections(p.globals);
  const input: BpfObjectInput = {
    license: "GPL",
    programs,
    ...(subprograms.length && { subprograms }),
    maps,
    ...(globals.length && { globals }),
    sources: [{ name: file, text }],
    logFormats: shared.logFormats as LogFormat[],
  };
  return { input, diagnostics, ir, stats };
}

/** The sections of the program's global variables (.rodata, .data, .bss), with their bytes and BTF types. */
function globalSections(globals: A.ConstDecl[]): GlobalSectionDef[] {
  const out = new Map<string, GlobalSectionDef>();
  for (const k of globals) {
    const g = k.global!,
      t = k.type as MemType;
    const s = out.get(g.section) ?? { section: g.section, init: new Uint8Array(0), vars: [] };
    const init = new Uint8Array(Math.max(s.init.length, g.offset + sizeOf(t)));
    init.set(s.init);
    init.set(g.init, g.offset);
    s.init = init;
    s.vars.push({ name: k.name, offset: g.offset, type: typeDesc(t), ...(g.config && { constVolatile: true }) });
    out.set(g.section, s);
  }
  return [...out.values()];
}

/** A subprogram's BTF prototype: integers by value, structs and header views by pointer, ctx as `struct xdp_md *`. */
function proto(fn: A.FunctionDecl): FuncDef["proto"] {
  const desc = (t: A.Type | undefined): TypeDesc =>
    typeDesc(t?.kind === "int" || t?.kind === "bool" || t?.kind === "struct" ? t : INT_TYPES.u32);
  const params = fn.params.map((p) => {
    const t = p.type;
    const type: ParamDesc =
      t?.kind === "ctx"
        ? { kind: "ctx" }
        : t?.kind === "struct"
          ? { kind: "ptr", to: desc(t) }
          : t?.kind === "header"
            ? { kind: "ptr", to: headerDesc(t.header) }
            : desc(t);
    return { name: p.name, type };
  });
  // a global function returns an int to the verifier (older kernels refuse a void one)
  if (fn.returnType?.kind === "void")
    return fn.role === "global" ? { params, returns: desc(INT_TYPES.i32) } : { params };
  return { params, returns: desc(fn.returnType) };
}

/** A header view's BTF: a struct of the header's size, its whole-byte fields as big-endian-agnostic
 * unsigned members (a MAC address a u8 array; bit fields left out as gaps), named as in the DSL. */
function headerDesc(name: string): TypeDesc {
  const h = HEADERS[name]!;
  const u = (size: number): TypeDesc => ({ kind: "int", name: `__u${size * 8}`, size: size as 1, signed: false });
  const members = Object.entries(h.fields)
    .filter(([, f]) => f.bitWidth === undefined)
    .map(([n, f]) => ({
      name: n,
      offset: f.offset,
      type: f.size === 6 ? { kind: "array" as const, elem: u(1), len: 6 } : u(f.size),
    }));
  for (const [n, a] of Object.entries(h.addrs ?? {}))
    members.push({ name: n, offset: a.offset, type: { kind: "array", elem: u(1), len: 16 } });
  members.sort((a, b) => a.offset - b.offset);
  return { kind: "struct", name, size: h.size, members };
}

/**
 * The loop rule's last step (compiler/dsl/unroll.ts, README "Loops"): in an "auto" build a function
 * with real loops is built again with its loops unrolled, and that build is kept when it takes no
 * more instruction slots (a loop over constants folds away) or the real loops' build fails.
 */
function compileLoops(fn: A.FunctionDecl, shared: LowerShared): ReturnType<typeof compileFunction> {
  const r = compileFunction(fn, shared);
  if (shared.loops !== "auto" || ("func" in r && !r.func.loops?.size)) return r;
  const again: LowerShared = { ...shared, loops: "unroll" };
  const unrolled = compileFunction(fn, again);
  if ("diag" in unrolled) return r;
  if (!("diag" in r) && slotCount(unrolled.code.insns) > slotCount(r.code.insns)) return r;
  shared.usesLogs ||= again.usesLogs; // the copy's flag: the real build may have failed before a log call
  return unrolled;
}

const slotCount = (insns: readonly Insn[]): number => slotIndex(insns).at(-1) ?? 0;

/** One XDP program or subprogram through the back end's passes, or the first limit it breaks. */
function compileFunction(
  prog: A.FunctionDecl,
  shared: LowerShared,
): { func: Func; code: Code; estimate: number } | { diag: Diagnostic } {
  try {
    const lowerer = new Lowerer(prog, shared);
    const f = prog.role === "xdp" ? lowerer.lowerProgram() : lowerer.lowerSubprogram();
    optimize(f, shared.maps);
    legalize(f);
    expandCalls(f);
    const at = (code: CodeName, message: string, span = prog.nameSpan) => ({ diag: diag(code, message, span) });
    if (!allocate(f)) return at("registers", `'${prog.name}' needs more registers than the stack can hold`);
    const stack = `${f.stack} bytes of stack; the limit is ${STACK_LIMIT}`;
    if (f.stack > STACK_LIMIT) return at("stackLimit", `'${prog.name}' needs ${stack}`);
    peephole(f);
    mergeTails(f);
    const selected = selectFunc(f);
    if (!insertMayGoto(f, selected) && shared.loops !== "bounded")
      return compileFunction(prog, { ...shared, loops: "bounded" });
    const code = lowerLongBranches(selected);
    const work = estimateVerifierWork(
      code.insns,
      code.labels,
      VERIFIER_INSN_LIMIT / VERIFIER_ESTIMATE_FACTOR,
      ...heads(f, code),
    );
    const tooHard = verifierOverLimit(prog.name, code.insns, work);
    if (tooHard) return at("verifierLimit", tooHard.message, tooHard.span);
    return { func: f, code, estimate: work.processed };
  } catch (e) {
    if (e instanceof LowerError) return { diag: e.diag };
    return { diag: diag("internal", `internal compiler error: ${(e as Error).message}`, prog.nameSpan) };
  }
}

/** Each real loop's head (the instruction its back edge goes to) → the most times round, and the most
 * of any loop (for a head the optimiser moved). */
function heads(f: Func, code: Code): [Map<number, number>, number] {
  const out = new Map<number, number>();
  let most = 0;
  for (const [id, trips] of f.loops ?? []) {
    const at = code.labels.get(blockLabel(f, id));
    if (at !== undefined) out.set(at, trips);
    most = Math.max(most, trips);
  }
  return [out, most];
}

/** The message when a program's deepest chain of calls needs more stack than the verifier allows
 * (it adds up every frame's stack, each rounded up to 32 bytes). */
function callChainStack(
  name: string,
  funcs: Map<A.FunctionDecl, { func: Func; code: Code; estimate: number }>,
): string | undefined {
  const byName = new Map([...funcs].map(([fn, r]) => [fn.name, r]));
  const chain = (n: string): { bytes: number; path: string[] } => {
    const r = byName.get(n);
    const own = Math.ceil(Math.max(r?.func.stack ?? 0, 1) / FRAME_ALIGN) * FRAME_ALIGN;
    const callees = new Set((r?.code.insns ?? []).flatMap((i) => (i.src === 1 && i.symbol ? [i.symbol] : [])));
    const deepest = [...callees].map(chain).sort((a, b) => b.bytes - a.bytes)[0];
    return { bytes: own + (deepest?.bytes ?? 0), path: [n, ...(deepest?.path ?? [])] };
  };
  const c = chain(name);
  if (c.bytes <= STACK_LIMIT || c.path.length < 2) return undefined;
  const frames = `each frame's stack rounded up to ${FRAME_ALIGN}`;
  const why = `through its calls (${c.path.join(" → ")}; ${frames})`;
  return `'${name}' needs ${c.bytes} bytes of stack ${why}; the limit is ${STACK_LIMIT}`;
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
