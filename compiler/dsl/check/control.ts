// Control flow statements: takes loops (for, for…of, while, do…while), switch, labelled statements
// and break/continue, with the statement checker's own functions (stmt.ts passes them in), and
// checks them following the flow (flow.ts). A loop's head holds the facts on entry that every path
// round again (the end of the body, a `continue`) keeps too; after a loop or switch hold the facts of
// every way out of it (its test failing, a `break`, falling out of the last clause).
import type * as A from "../ast.js";
import { BOOL, ERROR, isError, isInt, typeName } from "./types.js";
import { Flow } from "../flow.js";
import { type CheckCtx, declare, type JumpTarget, report } from "./context.js";
import { checkCond, checkValue } from "./expr.js";
import { bindRef } from "./structs.js";
import { forBound, whileBound } from "./bounds.js";
import { fits } from "../int-rule.js";
import { leaveRecords } from "./records.js";

/** The statement checker's functions the control statements call back into. */
export interface StmtFns {
  stmt(cx: CheckCtx, s: A.Stmt): void;
  varDecl(cx: CheckCtx, d: A.VarDecl): void;
  assign(cx: CheckCtx, s: A.Assign): void;
  /** A statement in its own scope. */
  branch(cx: CheckCtx, s: A.Stmt): void;
}

type Loop = A.For | A.ForOf | A.While;

/** `label: s` (labels stacked on one statement go together). */
export function labelled(cx: CheckCtx, fns: StmtFns, s: A.Labelled, outer: string[] = []): void {
  const labels = [...outer, s.label];
  for (const t of cx.jumps)
    if (t.labels.includes(s.label)) report(cx, "duplicateLabel", `Duplicate label '${s.label}'.`, s.span);
  const b = s.body;
  if (b.kind === "Labelled") return labelled(cx, fns, b, labels);
  if (b.kind === "For") return forStmt(cx, fns, b, labels);
  if (b.kind === "ForOf") return forOf(cx, fns, b, labels);
  if (b.kind === "While") return whileStmt(cx, fns, b, labels);
  if (b.kind === "Switch") return switchStmt(cx, fns, b, labels);
  const t = target(cx, s, labels, false);
  cx.jumps.push(t);
  fns.branch(cx, b);
  cx.jumps.pop();
  leave(cx, cx.flow, t);
}

/** The flow after a statement: its own way out (`out`, undefined: none) joined with its breaks. */
function leave(cx: CheckCtx, out: Flow<A.Binding> | undefined, t: JumpTarget, entry = cx.flow): void {
  const j = Flow.join(out?.fork(), t.breaks ?? entry.none());
  if (j && !j.never) cx.flow = j;
  else {
    cx.flow = entry.fork();
    cx.flow.dead = true;
  }
}

function target(cx: CheckCtx, stmt: A.Stmt, labels: string[], loop: boolean): JumpTarget {
  return { stmt, labels, loop, depth: cx.scopes.length };
}

export function jump(cx: CheckCtx, s: A.Jump): void {
  const t = findTarget(cx, s);
  if (t) {
    const left = cx.scopes.slice(t.depth).flatMap((m) => [...m.values()]);
    leaveRecords(cx, left, s.span, `that leaves here by '${s.jump}'`);
    if (s.jump === "break") t.breaks = Flow.join(t.breaks, cx.flow);
    else t.conts = Flow.join(t.conts, cx.flow);
  }
  cx.flow.dead = true;
}

function findTarget(cx: CheckCtx, s: A.Jump): JumpTarget | undefined {
  const brk = s.jump === "break";
  for (let i = cx.jumps.length - 1; i >= 0; i--) {
    const t = cx.jumps[i]!;
    if (s.label ? t.labels.includes(s.label) : t.loop || (brk && t.stmt.kind === "Switch")) {
      if (!brk && !t.loop) break;
      return t;
    }
  }
  if (s.label && brk)
    report(cx, "breakLabel", "A 'break' statement can only jump to a label of an enclosing statement.", s.span);
  else if (s.label)
    report(
      cx,
      "continueLabel",
      "A 'continue' statement can only jump to a label of an enclosing iteration statement.",
      s.span,
    );
  else if (brk)
    report(
      cx,
      "breakOutside",
      "A 'break' statement can only be used within an enclosing iteration or switch statement.",
      s.span,
    );
  else
    report(
      cx,
      "continueOutside",
      "A 'continue' statement can only be used within an enclosing iteration statement.",
      s.span,
    );
  return undefined;
}

/** `for (init; test; update) body`: the counter may not change in the body. */
export function forStmt(cx: CheckCtx, fns: StmtFns, s: A.For, labels: string[] = []): void {
  cx.scopes.push(new Map());
  if (s.init) fns.varDecl(cx, s.init);
  const counter = s.init?.binding;
  let exit: Flow<A.Binding> | undefined;
  const t = loop(cx, s, labels, (t) => {
    const c = s.test ? checkCond(cx, s.test) : undefined;
    exit = c?.f;
    if (counter) cx.loopVars.add(counter);
    cx.flow = (c?.t ?? cx.flow).branch();
    cx.jumps.push(t);
    fns.branch(cx, s.body);
    cx.jumps.pop();
    if (counter) cx.loopVars.delete(counter);
    roundAgain(cx, t);
    if (s.update) fns.assign(cx, s.update);
  });
  forBound(cx, s, counter);
  leave(cx, exit, t);
  cx.scopes.pop();
}

/** `while (test) body` / `do body while (test)`. */
export function whileStmt(cx: CheckCtx, fns: StmtFns, s: A.While, labels: string[] = []): void {
  let exit: Flow<A.Binding> | undefined;
  const t = loop(cx, s, labels, (t) => {
    const c = s.isDo ? undefined : checkCond(cx, s.test);
    cx.flow = (c?.t ?? cx.flow).branch();
    cx.jumps.push(t);
    fns.branch(cx, s.body);
    cx.jumps.pop();
    roundAgain(cx, t);
    if (!s.isDo) return void (exit = c!.f);
    const d = checkCond(cx, s.test);
    exit = d.f;
    cx.flow = d.t;
  });
  whileBound(cx, s, labels);
  leave(cx, exit, t);
}

/** `for (const x of a)`: x is each element of the FixedArray a in turn (the body is unrolled). */
export function forOf(cx: CheckCtx, fns: StmtFns, s: A.ForOf, labels: string[] = []): void {
  const at = checkValue(cx, s.iterable);
  const elem: A.Type = at.kind === "array" ? (at.elem.kind === "bool" ? BOOL : at.elem) : ERROR;
  if (!isError(at) && at.kind !== "array")
    report(cx, "arrayType", `'for … of' needs a FixedArray, not '${typeName(at)}'.`, s.iterable.span);
  cx.scopes.push(new Map());
  const d = s.decl;
  const b: A.Binding = { kind: "local", id: cx.nextId++, name: d.name, mutable: d.mutable, type: elem, decl: d };
  d.binding = b;
  if (d.name) declare(cx, b, d.nameSpan);
  bindRef(cx, b, s.iterable);
  let exit: Flow<A.Binding> | undefined;
  const t = loop(cx, s, labels, (t) => {
    exit = cx.flow.fork();
    cx.flow = cx.flow.branch();
    cx.jumps.push(t);
    fns.branch(cx, s.body);
    cx.jumps.pop();
    roundAgain(cx, t);
  });
  leave(cx, exit, t);
  cx.scopes.pop();
}

/** The end of the body meets the `continue`s: the flow that goes round again. */
function roundAgain(cx: CheckCtx, t: JumpTarget): void {
  if (t.conts) cx.flow = Flow.join(t.conts, cx.flow) ?? cx.flow;
}

/**
 * A loop body checked from the loop head: `pass` checks it once from cx.flow, leaving cx.flow where
 * it goes round again; when that loses facts the head had, its diagnostics are dropped and it is
 * checked again from the weaker head. Produces the last pass's jump target (its breaks).
 */
function loop(cx: CheckCtx, s: Loop, labels: string[], pass: (t: JumpTarget) => void): JumpTarget {
  const entry = cx.flow;
  // a reference into a map the body sets or deletes in on a path that goes round is stale in the body
  // (from the second time round) and after it: loopBack touches the map at the head
  let head = guessHead(cx, s, entry);
  let t: JumpTarget;
  for (let next: Flow<A.Binding> | undefined; ; head = next) {
    const undo = mark(cx);
    cx.flow = head.fork();
    t = target(cx, s, labels, true);
    pass(t);
    next = head.loopBack(cx.flow, entry.epoch, entry);
    if (!next) break;
    undo();
  }
  const lost = [...entry.nonNull].filter((b) => !head.nonNull.has(b));
  cx.loopHeads.set(s, { lost, stale: head.epoch !== entry.epoch });
  cx.flow = head;
  return t;
}

/** A loop met again (in another pass over the loop around it) starts from the head it had last time. */
function guessHead(cx: CheckCtx, s: Loop, entry: Flow<A.Binding>): Flow<A.Binding> {
  const head = entry.fork(),
    last = cx.loopHeads.get(s);
  for (const b of last?.lost ?? []) head.nonNull.delete(b);
  if (last?.stale) head.adjust();
  return head;
}

/** Undoes what checking a loop body recorded (diagnostics, call sites, binding ids), to check it again. */
function mark(cx: CheckCtx): () => void {
  const { diagnostics, nextId } = cx;
  const fn = cx.currentFn!,
    sites = cx.callSites.get(fn),
    count = diagnostics.length,
    siteCount = sites?.length ?? 0;
  return () => {
    diagnostics.length = count;
    cx.nextId = nextId;
    if (sites) sites.length = siteCount;
    else cx.callSites.delete(fn);
  };
}

/**
 * `switch (test) { case A: … default: … }` on an integer: cases are distinct integer constants; a
 * clause falls through into the next unless it breaks (or returns, or continues a loop). Each
 * clause is a scope of its own.
 */
export function switchStmt(cx: CheckCtx, fns: StmtFns, s: A.Switch, labels: string[] = []): void {
  const tt = checkValue(cx, s.test);
  if (!isError(tt) && !isInt(tt) && tt.kind !== "action")
    report(cx, "switchCase", `'switch' needs an integer, not '${typeName(tt)}'.`, s.test.span);
  caseLabels(cx, s, isInt(tt) ? tt : undefined);
  const entry = cx.flow;
  const t = target(cx, s, labels, false);
  let fall: Flow<A.Binding> | undefined;
  cx.jumps.push(t);
  for (const c of s.cases) {
    cx.flow = Flow.join(fall, entry.branch())!;
    cx.scopes.push(new Map());
    for (const b of c.body) fns.stmt(cx, b);
    cx.scopes.pop();
    fall = cx.flow;
  }
  cx.jumps.pop();
  const noMatch = s.cases.some((c) => !c.test) ? undefined : entry.branch();
  const out = fall && noMatch ? Flow.meet(fall, noMatch) : (fall ?? noMatch);
  leave(cx, out, t, entry);
  cx.flow.dead ||= entry.dead;
}

function caseLabels(cx: CheckCtx, s: A.Switch, t: A.IntType | undefined): void {
  const seen = new Set<bigint>();
  let defaults = 0;
  for (const c of s.cases) {
    if (!c.test) {
      if (defaults++)
        report(
          cx,
          "duplicateDefault",
          "A 'default' clause cannot appear more than once in a 'switch' statement.",
          c.span,
        );
      continue;
    }
    checkValue(cx, c.test, t);
    const v = c.test.constValue;
    if (v === undefined)
      report(cx, "switchCase", "A 'case' label must be a compile-time integer constant.", c.test.span);
    else if (t && !fits(v, t)) report(cx, "switchCase", `The case ${v} can never match a '${t.name}'.`, c.test.span);
    else if (seen.has(v)) report(cx, "switchCase", `Duplicate case ${v}.`, c.test.span);
    else seen.add(v);
  }
}
