// The lowering's flow facts at its join points: takes the CFG edges the lowering emits (block ids)
// and the facts it learns (proven packet range, bounds-checked views, constant locals, header
// fields already read); produces, for each block it starts, the facts that hold on every path into
// it. The facts and how paths meet are the one flow analysis (../flow.ts) the checker uses too.
import type { Val } from "../ir.js";
import { Flow } from "../flow.js";
import type { HeaderVal, IntLocal, Local } from "./types.js";

type PathFlow = Flow<HeaderVal, IntLocal, Val>;

/** What the statement, expression and intrinsic modules ask and tell about the current path; the
 * edges (flowTo, flowDead, flowChecked, enter) are the core's. */
export type Facts = Pick<
  PathFacts,
  | "never"
  | "epoch"
  | "assigned"
  | "forget"
  | "known"
  | "guarded"
  | "proven"
  | "cachedLoad"
  | "rememberLoad"
  | "forgetLoads"
  | "loopHead"
  | "loopHolds"
>;

export class PathFacts {
  private cur: PathFlow = Flow.start();
  private pending = new Map<number, PathFlow>([[0, this.cur]]);

  /** The current path's facts flow along an edge to block `to`. */
  flowTo(to: number): void {
    this.merge(to, this.cur);
  }

  /** An edge the compiler decided is never taken: `to` keeps this path's facts, marked dead. */
  flowDead(to: number): void {
    const s = this.cur.fork();
    s.dead = true;
    this.merge(to, s);
  }

  /** The edge taken when `view` passed its bounds check (proving `end` bytes unless its base varies). */
  flowChecked(to: number, view: HeaderVal, end: number): void {
    const s = this.cur.with(view);
    if (!view.varBase) s.range = Math.max(s.range, end);
    this.merge(to, s);
  }

  /** A view whose bytes are proven where the function starts (a header view parameter). */
  assumeChecked(view: HeaderVal): void {
    this.cur.nonNull.add(view);
  }

  /** Continue in block `id` with the merged facts of its predecessors. */
  enter(id: number): void {
    this.cur = this.pending.get(id)?.fork() ?? this.cur.none();
  }

  private merge(to: number, s: PathFlow): void {
    const p = Flow.join(this.pending.get(to), s);
    if (p) this.pending.set(to, p);
  }

  /** The head of a real loop (lower/control.ts), entered from before the loop: the facts that hold
   * every time round as well — without the constants of the locals the loop assigns and the fields
   * read (the loop may write the packet). Produces the head's facts, for loopHolds at the back edge. */
  loopHead(assigned: readonly IntLocal[]): PathFlow {
    for (const l of assigned) this.cur.consts.delete(l);
    this.cur.loads.clear();
    return this.cur.fork();
  }

  /** Whether the head's facts still hold where the current path goes round again (the back edge). */
  loopHolds(head: PathFlow): boolean {
    return head.loopBack(this.cur, head.epoch) === undefined;
  }

  /** No path reaches the current code (after a return). */
  get never(): boolean {
    return this.cur.never;
  }
  get epoch(): number {
    return this.cur.epoch;
  }

  /** `l` now holds v: remembered when it is a constant, forgotten otherwise. */
  assigned(l: IntLocal, v: Val): void {
    if (typeof v === "bigint") this.cur.consts.set(l, v);
    else this.cur.consts.delete(l);
  }

  /** Locals out of reach (a function's after its call, a loop body's after its round): nothing to keep about them,
   * so the facts copied at every branch do not grow with the calls inlined and the loops unrolled. */
  forget(locals: Iterable<Local>): void {
    for (const l of locals) if (l.k === "int") this.cur.consts.delete(l);
  }

  /** l's value: its constant on this path, else its register. */
  known(l: IntLocal): Val {
    return this.cur.consts.get(l) ?? l.reg;
  }

  /** Whether `end` bytes of `view` are proven on this path (always, where no path gets). */
  guarded(view: HeaderVal, end: number): boolean {
    const s = this.cur;
    return s.dead || (view.varBase ? s.nonNull.has(view) : s.range >= end);
  }

  /** Whether the first `end` packet bytes are proven on this path. */
  proven(end: number): boolean {
    return this.cur.range >= end;
  }

  cachedLoad(key: string): Val | undefined {
    return this.cur.loads.get(key);
  }
  rememberLoad(key: string, v: Val): void {
    this.cur.loads.set(key, v);
  }
  /** Packet bytes were written: fields read before may have changed. */
  forgetLoads(): void {
    this.cur.loads.clear();
  }

  /** After bpf_xdp_adjust_head/tail: every header view is stale and nothing about the packet holds. */
  invalidatePacket(): void {
    this.cur.adjust();
    this.cur.nonNull.clear();
  }
}
