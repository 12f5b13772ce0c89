// The inlining decision: takes the checked program (its XDP programs and the helper functions they
// reach) and produces the helper functions to compile as BPF subprograms, called with BPF-to-BPF
// calls; every other call is inlined. The rule (README "Functions"):
//   - inlined always: a function that logs (a record names its program), adjusts the packet (the
//     caller's header views go stale), makes a tail call, reserves, submits or discards a ring-buffer
//     record (a reference the verifier tracks), or calls one that does; and every function
//     a tail-calling program reaches (the kernel limits stacks of programs mixing the two);
//   - inlined when it pays: a function that runs from one place (one call site, counting each copy
//     of an inlined caller), or whose body is tiny (at most INLINE_NODES expressions and statements:
//     the call's argument moves, call and exit cost about as much);
//   - inlined where a call would be too deep: at most MAX_CALL_FRAMES frames, the program's included,
//     counting the frames the global functions below it will take;
//   - called otherwise.
// A global function (an exported one that is not an XDP program) is always called: the kernel
// verifies it once, on its own; one that would have to be inlined, or whose call would be frame
// MAX_CALL_FRAMES + 1 (the kernel: "the call stack of 8 frames is too deep !", from 0), is a diagnostic (TSB9081).
import type * as A from "./ast.js";
import type { Diagnostic } from "../diagnostics.js";
import { diag } from "./codes.js";
import { INLINE_NODES, MAX_CALL_FRAMES } from "./limits.js";

/** What a function's body does that decides its inlining (callees not included). */
interface BodyInfo {
  sites: A.FunctionDecl[]; // one entry per call site of a helper function
  spans: A.Span[]; // the callee's name at each site
  pinned: boolean; // logs, adjusts the packet or makes a tail call
  why?: string; // what pins it, for a global function's diagnostic
  tailCall: boolean;
  nodes: number; // statements and expressions
}

const PINNING_CTX = new Set(["adjustHead", "adjustTail"]);
/** A reserved ring-buffer record is a reference the verifier tracks: kept in the program's own frame. */
const RECORD_METHODS = new Set(["reserve", "submit", "discard"]);

/** The helper functions to call rather than inline, and the global functions that cannot be called. */
export function chooseCalled(p: A.CheckedProgram): { called: Set<A.FunctionDecl>; diagnostics: Diagnostic[] } {
  const info = new Map<A.FunctionDecl, BodyInfo>();
  for (const f of [...p.programs, ...p.functions]) info.set(f, bodyInfo(f.body));
  const pinned = pinnedFunctions(p, info);
  const diagnostics = p.functions.flatMap((f) => globalProblems(f, info, pinned));
  // frames the global functions below a function take (callees first): a static one can be inlined
  const below = new Map<A.FunctionDecl, number>();
  for (const f of p.functions)
    below.set(f, Math.max(0, ...info.get(f)!.sites.map((g) => (g.role === "global" ? 1 : 0) + below.get(g)!)));
  const called = new Set<A.FunctionDecl>();
  const copies = new Map<A.FunctionDecl, number>(); // how many times a function's code is emitted
  const frames = new Map<A.FunctionDecl, number>(); // frames at its deepest (the program's is 1)
  const deepest = new Map<A.FunctionDecl, { from: A.FunctionDecl; span: A.Span }>(); // the call that sets it
  for (const prog of p.programs) copies.set(prog, 1), frames.set(prog, 1);
  // callers before callees: a function's copies and depth are known once every caller is decided
  for (const f of [p.programs, [...p.functions].reverse()].flat()) {
    if (f.role !== "xdp") {
      const fr = frames.get(f) ?? 1;
      const pays = (copies.get(f) ?? 0) > 1 && info.get(f)!.nodes > INLINE_NODES;
      const fits = fr + 1 + below.get(f)! <= MAX_CALL_FRAMES;
      if (f.role === "global" || (pays && !pinned.has(f) && fits)) {
        called.add(f);
        copies.set(f, 1);
        frames.set(f, fr + 1);
        if (f.role === "global" && fr === MAX_CALL_FRAMES) diagnostics.push(tooDeep(f, deepest, called));
      }
    }
    info.get(f)!.sites.forEach((g, i) => {
      copies.set(g, (copies.get(g) ?? 0) + (copies.get(f) ?? 0));
      const fr = frames.get(f) ?? 1;
      if (fr > (frames.get(g) ?? 0)) frames.set(g, fr), deepest.set(g, { from: f, span: info.get(f)!.spans[i]! });
    });
  }
  return { called, diagnostics };
}

/** A global function whose call would be frame MAX_CALL_FRAMES + 1: at that call, with the frames. */
function tooDeep(
  g: A.FunctionDecl,
  deepest: Map<A.FunctionDecl, { from: A.FunctionDecl; span: A.Span }>,
  called: Set<A.FunctionDecl>,
): Diagnostic {
  const chain = [g.name];
  for (let f = deepest.get(g)?.from; f; f = deepest.get(f)?.from)
    if (f.role === "xdp" || called.has(f)) chain.unshift(f.name);
  const shown = chain.length > 6 ? [...chain.slice(0, 3), "…", ...chain.slice(-2)] : chain;
  return diag(
    "globalFunction",
    `'${g.name}' is a global function (exported, verified on its own): this call would be call frame ${MAX_CALL_FRAMES + 1} (${shown.join(" → ")}) and the kernel allows ${MAX_CALL_FRAMES} (MAX_CALL_FRAMES); a global function is never inlined, so make it or a global function calling it a function that is not exported.`,
    deepest.get(g)?.span ?? g.nameSpan,
  );
}

/** Why a global function cannot be one: it returns a struct, or would have to be inlined. */
function globalProblems(f: A.FunctionDecl, info: Map<A.FunctionDecl, BodyInfo>, pinned: Set<A.FunctionDecl>) {
  if (f.role !== "global") return [];
  const at = (message: string, span = f.nameSpan) => [diag("globalFunction", message, span)];
  const g = `'${f.name}' is a global function (exported, verified on its own)`;
  if (f.returnType?.kind === "struct")
    return at(
      `${g}: it returns an integer, bool or void (the kernel reads a scalar from r0), not a struct.`,
      f.returnTypeAnn?.span,
    );
  if (!pinned.has(f)) return [];
  const why = pinnedWhy(f, info) ?? "it is reached from a program that makes tail calls";
  return at(`${g}: ${why}; make it a function that is not exported, which the compiler inlines.`);
}

/** What pins a function: its own body's reason, else the first callee's. */
function pinnedWhy(
  f: A.FunctionDecl,
  info: Map<A.FunctionDecl, BodyInfo>,
  seen = new Set<A.FunctionDecl>(),
): string | undefined {
  seen.add(f);
  const own = info.get(f)!.why;
  if (own) return own;
  for (const g of info.get(f)!.sites) {
    const w = !seen.has(g) && pinnedWhy(g, info, seen);
    if (w) return `${w.replace(/^it /, `it calls '${g.name}', which `)}`;
  }
  return undefined;
}

/** Functions that must be inlined: pinned bodies, their callers, and what tail-calling programs reach. */
function pinnedFunctions(p: A.CheckedProgram, info: Map<A.FunctionDecl, BodyInfo>): Set<A.FunctionDecl> {
  const out = new Set<A.FunctionDecl>();
  for (const f of p.functions) {
    // callees come first, so a callee's verdict is known
    const struct = f.returnType?.kind === "struct"; // the result goes to a slot in the caller's frame
    if (info.get(f)!.pinned || struct || info.get(f)!.sites.some((g) => out.has(g))) out.add(f);
  }
  const reached = (f: A.FunctionDecl, seen = new Set<A.FunctionDecl>()): Set<A.FunctionDecl> => {
    for (const g of info.get(f)!.sites) if (!seen.has(g)) seen.add(g), reached(g, seen);
    return seen;
  };
  for (const prog of p.programs) {
    const all = reached(prog);
    if (info.get(prog)!.tailCall || [...all].some((g) => info.get(g)!.tailCall)) for (const g of all) out.add(g);
  }
  return out;
}

/** Walk a body: its call sites of helper functions, whether it pins, its size in nodes. */
function bodyInfo(body: A.Block): BodyInfo {
  const out: BodyInfo = { sites: [], spans: [], pinned: false, tailCall: false, nodes: 0 };
  const pin = (why: string) => {
    out.pinned = true;
    out.why ??= why;
  };
  const walk = (n: unknown): void => {
    if (!n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(walk);
    const o = n as { kind?: string; callee?: A.CallTarget };
    if (o.kind) out.nodes++;
    if (o.kind === "CallExpr" && o.callee) {
      const c = o.callee;
      if (c.kind === "function") out.sites.push(c.decl), out.spans.push((o as A.CallExpr).fn.span);
      if (c.kind === "mapFunction" && c.name === "tailCall") pin("it makes a tail call"), (out.tailCall = true);
      if (c.kind === "log") pin("it logs (a log record names its program)");
      if (c.kind === "ctxMethod" && PINNING_CTX.has(c.method))
        pin(`it calls ctx.${c.method}() (its caller's header views would go stale)`);
      if (c.kind === "mapMethod" && RECORD_METHODS.has(c.method))
        pin(`it calls ${c.method}() of a ring buffer (the record must stay in its program's frame)`);
    }
    for (const [k, v] of Object.entries(n)) if (!SKIP.has(k)) walk(v);
  };
  walk(body);
  return out;
}

/** Keys that lead out of the body (declarations, types) or to no code. */
export const SKIP = new Set(["span", "nameSpan", "propertySpan", "binding", "callee", "member", "type", "typeAnn"]);
