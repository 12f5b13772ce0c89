// Loop bounds: takes a checked loop (for, while, do…while) and produces the most times its body can
// run (s.maxTrips), or reports why the checker cannot bound it. A loop is bounded by a *counter
// bound*: its test is `i <op> B` (or an `&&` chain with such a conjunct) where B is a compile-time
// constant and i an integer variable that only moves toward B by constant steps — a `for` loop's
// update (the body may not change its counter), or in a `while`/`do…while` body `i++`, `i += C`
// (`i--`, `i -= C` toward a lower bound), outside nested loops, on every path round the loop
// (a `continue` too). From a constant start the count is exact; otherwise the counter starts at its
// type's minimum (counting up) or maximum (counting down). The counter must not wrap on its way.
import type * as A from "../ast.js";
import { isInt } from "./types.js";
import { fits } from "../int-rule.js";
import { MAX_LOOP_TRIPS } from "../limits.js";
import { type CheckCtx, report } from "./context.js";

type Op = "<" | "<=" | ">" | ">=" | "!=";
/** One conjunct `i op B` of a loop test, the counter on the left. */
interface Conjunct {
  counter: A.Binding & { type: A.IntType };
  op: Op;
  bound: bigint;
  span: A.Span;
}
/** How a loop steps its counter: the smallest step, the sum of all steps in one round, the direction. */
interface Steps {
  min: bigint;
  sum: bigint;
  up: boolean;
}

const FLIP: Record<string, Op> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!=", "!==": "!=" };
const OPS: Record<string, Op> = { "<": "<", "<=": "<=", ">": ">", ">=": ">=", "!=": "!=", "!==": "!=" };

/** The conjuncts of a loop test that compare an integer variable with a constant. */
export function conjuncts(e: A.Expr): Conjunct[] {
  if (e.kind === "LogicalExpr" && e.op === "&&") return [...conjuncts(e.left), ...conjuncts(e.right)];
  if (e.kind !== "BinaryExpr" || !OPS[e.op]) return [];
  const v = (x: A.Expr): Conjunct["counter"] | undefined =>
    x.kind === "Identifier" && (x.binding?.kind === "local" || x.binding?.kind === "param") && isInt(x.binding.type)
      ? (x.binding as Conjunct["counter"])
      : undefined;
  const [l, r] = [v(e.left), v(e.right)];
  if (l && e.right.constValue !== undefined)
    return [{ counter: l, op: OPS[e.op]!, bound: e.right.constValue, span: e.span }];
  if (r && e.left.constValue !== undefined)
    return [{ counter: r, op: FLIP[e.op]!, bound: e.left.constValue, span: e.span }];
  return [];
}

const NO_BOUND =
  "This loop has no counter bound: its condition must be 'i < N' (or '<=', '>', '>=') with a constant N, " +
  "alone or joined by '&&', e.g. 'i < n && i < 16'.";

/** `for (let i = A; test; i += S)`: the counter is the declared one, stepped by the update only. */
export function forBound(cx: CheckCtx, s: A.For, counter: A.Binding | undefined): void {
  const u = s.update;
  const step = u?.value.constValue;
  const bad =
    !counter ||
    !s.init?.mutable ||
    !u ||
    u.target.kind !== "Identifier" ||
    u.target.binding !== counter ||
    step === undefined ||
    step <= 0n ||
    (u.op !== "+=" && u.op !== "-=");
  if (bad) {
    const shape = "Write the loop as 'for (let i = A; i < N; i++)' (or 'i += K', 'i--'), K a positive constant.";
    report(cx, "loopBound", shape, u?.span ?? s.test?.span ?? s.span);
    return;
  }
  const found = (s.test ? conjuncts(s.test) : []).filter((c) => c.counter === counter);
  const init = s.init?.init?.constValue;
  bound(cx, s, found, { min: step, sum: step, up: u.op === "+=" }, init);
}

/** `while (test)` / `do … while (test)`: some conjunct's counter is stepped toward its bound in the body. */
export function whileBound(cx: CheckCtx, s: A.While, labels: string[]): void {
  const found = conjuncts(s.test);
  let firstError: { message: string; span: A.Span } | undefined;
  for (const c of found) {
    const p = new Progress(c.counter, labels);
    const end = p.stmt(s.body, "none");
    const err = p.error ?? (end === "none" ? notStepped(c.counter.name, s.span) : undefined);
    if (!err && p.steps.length) {
      const up = c.op === "<" || c.op === "<=";
      if (p.steps.some((x) => x.up !== up)) {
        firstError ??= { message: `The loop counter '${c.counter.name}' must move toward its bound.`, span: c.span };
        continue;
      }
      const steps = p.steps.map((x) => x.by);
      let min = steps[0]!;
      for (const x of steps) if (x < min) min = x;
      const sum = steps.reduce((a, b) => a + b, 0n);
      return bound(
        cx,
        s,
        found.filter((x) => x.counter === c.counter),
        { min, sum, up },
        undefined,
      );
    }
    firstError ??= err;
  }
  if (firstError) report(cx, "loopStep", firstError.message, firstError.span);
  else report(cx, "loopBound", NO_BOUND, s.test.span);
}

function notStepped(name: string, span: A.Span): { message: string; span: A.Span } {
  return {
    message: `The loop counter '${name}' is not stepped on every path round the loop: add '${name}++' (or '${name} += K') where it is missing.`,
    span,
  };
}

/** The fewest trips over the conjuncts on the counter; reports a loop that runs too often or wraps. */
function bound(cx: CheckCtx, s: A.For | A.While, found: Conjunct[], st: Steps, init: bigint | undefined): void {
  let best: number | undefined;
  let why = NO_BOUND;
  for (const c of found) {
    const t = c.counter.type;
    if (!fits(c.bound, t)) {
      why = `The bound ${c.bound} does not fit the counter's type '${t.name}'.`;
      continue;
    }
    const n = trips(c, st, init);
    if (n === undefined) {
      why = "This loop never ends: its counter does not move towards the bound.";
      continue;
    }
    if (init === undefined ? wraps(c, st, t) : !fits(init + BigInt(n) * (st.up ? st.min : -st.min), t)) {
      why = `The counter '${c.counter.name}' would wrap around its type '${t.name}' before it passes ${c.bound}.`;
      continue;
    }
    best = best === undefined ? n : Math.min(best, n);
  }
  if (best === undefined) return report(cx, "loopBound", why, s.kind === "For" && s.test ? s.test.span : s.span);
  const total = best + (s.kind === "While" && s.isDo ? 1 : 0);
  if (total > MAX_LOOP_TRIPS) {
    const why =
      init === undefined
        ? `This loop may run ${total} times; at most ${MAX_LOOP_TRIPS} iterations are allowed (its counter is taken ` +
          "to start at its type's limit: count up from 0 in an unsigned type)."
        : `This loop runs ${total} times; at most ${MAX_LOOP_TRIPS} iterations are allowed.`;
    return report(cx, "loopBound", why, s.span);
  }
  s.maxTrips = total;
  s.counter = found.find((c) => trips(c, st, init) === best)?.counter;
}

/** Times the test `c` holds, counting from init (or the type's far end) by at least st.min. */
function trips(c: Conjunct, st: Steps, init: bigint | undefined): number | undefined {
  const t = c.counter.type;
  const lo = init ?? (st.up ? typeMin(t) : typeMax(t));
  const step = st.up ? st.min : -st.min;
  if (c.op === "!=") {
    if (init === undefined || st.min !== st.sum) return undefined;
    const dist = c.bound - lo;
    if (dist === 0n) return 0;
    return dist % step === 0n && dist / step > 0n ? clamp(dist / step) : undefined;
  }
  const up = c.op === "<" || c.op === "<=";
  const holds = (i: bigint): boolean =>
    c.op === "<" ? i < c.bound : c.op === "<=" ? i <= c.bound : c.op === ">" ? i > c.bound : i >= c.bound;
  if (!holds(lo)) return 0;
  if (up !== st.up) return undefined;
  const span = (up ? c.bound - lo : lo - c.bound) + (c.op === "<=" || c.op === ">=" ? 1n : 0n);
  return clamp((span + st.min - 1n) / st.min);
}

/** Whether the last round's steps may carry a counter of unknown start past its type's range. */
function wraps(c: Conjunct, st: Steps, t: A.IntType): boolean {
  if (c.op === "!=") return false;
  const last = c.op === "<" ? c.bound - 1n : c.op === ">" ? c.bound + 1n : c.bound;
  return st.up ? last + st.sum > typeMax(t) : last - st.sum < typeMin(t);
}

const clamp = (n: bigint): number => (n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n));
const typeMin = (t: A.IntType): bigint => (t.signed ? -(1n << BigInt(t.bits - 1)) : 0n);
const typeMax = (t: A.IntType): bigint => (t.signed ? (1n << BigInt(t.bits - 1)) - 1n : (1n << BigInt(t.bits)) - 1n);

/** Where a path stands with the counter: not stepped yet, stepped, or gone (returned, left the loop). */
type State = "none" | "stepped" | "gone";

/** Walks a while body: where the counter is stepped, and whether every path round the loop steps it. */
class Progress {
  steps: { by: bigint; up: boolean }[] = [];
  error: { message: string; span: A.Span } | undefined;
  /** Nested loops (and switches) the walk is inside: `continue` there is not ours. */
  private inner: { labels: string[]; loop: boolean }[] = [];

  constructor(
    private readonly counter: A.Binding,
    private readonly labels: string[],
  ) {}

  stmt(s: A.Stmt, st: State): State {
    switch (s.kind) {
      case "Block":
        return s.body.reduce((x, b) => this.stmt(b, x), st);
      case "Assign":
        return this.assign(s, st);
      case "If": {
        const a = this.stmt(s.then, st);
        return meet(a, s.else ? this.stmt(s.else, st) : st);
      }
      case "Return":
        return "gone";
      case "Jump":
        return this.jump(s, st);
      case "Labelled":
        return this.nested([s.label], s.body, st, false);
      case "For":
      case "ForOf":
      case "While":
        return this.nested([], s, st, true);
      case "Switch":
        return this.nested([], s, st, false);
      default:
        return st;
    }
  }

  /** A nested statement: walked for steps and our `continue`s; the path after it is as before it. */
  private nested(labels: string[], s: A.Stmt, st: State, loop: boolean): State {
    this.inner.push({ labels, loop });
    if (s.kind === "Labelled") this.stmt(s.body, st);
    else if (s.kind === "Switch") s.cases.reduce((x, c) => c.body.reduce((y, b) => this.stmt(b, y), x), st);
    else if (s.kind === "For" || s.kind === "ForOf" || s.kind === "While") this.stmt(s.body, st);
    this.inner.pop();
    return st;
  }

  private assign(s: A.Assign, st: State): State {
    if (s.target.kind !== "Identifier" || s.target.binding !== this.counter) return st;
    const by = s.value.constValue;
    if (this.inner.some((x) => x.loop)) {
      this.error ??= {
        message: `The loop counter '${this.counter.name}' must not be stepped in a nested loop.`,
        span: s.span,
      };
      return st;
    }
    if ((s.op !== "+=" && s.op !== "-=") || by === undefined || by <= 0n) {
      const name = this.counter.name;
      this.error ??= {
        message: `The loop counter '${name}' may only be stepped by a positive constant: write '${name}++' or '${name} += K'.`,
        span: s.span,
      };
      return st;
    }
    this.steps.push({ by, up: s.op === "+=" });
    return st === "gone" ? st : "stepped";
  }

  private jump(s: A.Jump, st: State): State {
    if (s.jump === "break") return "gone";
    const ours = s.label ? this.labels.includes(s.label) : !this.inner.some((x) => x.loop);
    if (ours && st === "none") this.error ??= notStepped(this.counter.name, s.span);
    return "gone";
  }
}

function meet(a: State, b: State): State {
  if (a === "gone") return b;
  if (b === "gone") return a;
  return a === "stepped" && b === "stepped" ? "stepped" : "none";
}
