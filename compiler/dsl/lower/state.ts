// The lowering's flow facts, all in one place: takes the CFG edges the lowering emits (block ids)
// and the facts it learns (proven packet range, bounds-checked views, constant locals, header
// fields already read); produces, for each block it starts, the facts that hold on every path
// into it. `epoch` changes at each adjustHead/adjustTail (older header views are stale).
import type { Val } from "../ir.js";
import type { HeaderVal, IntLocal } from "./types.js";

/** Facts on one path; `dead`: unreachable but keeps its own facts; `never`: no path at all. */
interface State {
  range: number;
  checked: Set<HeaderVal>;
  consts: Map<IntLocal, bigint>;
  loads: Map<string, Val>;
  epoch: number;
  dead?: boolean;
  never?: boolean;
}

function copyState(s: State): State {
  const { range, epoch, dead } = s;
  return { range, checked: new Set(s.checked), consts: new Map(s.consts), loads: new Map(s.loads), epoch, dead };
}

function noPath(): State {
  return { range: 1 << 30, checked: new Set(), consts: new Map(), loads: new Map(), epoch: 0, dead: true, never: true };
}

/** What the statement, expression and intrinsic modules ask and tell about the current path; the
 * edges (flowTo, flowDead, flowChecked, enter) are the core's. */
export type Facts = Pick<
  PathFacts,
  "never" | "epoch" | "assigned" | "known" | "guarded" | "proven" | "cachedLoad" | "rememberLoad" | "forgetLoads"
>;

export class PathFacts {
  private cur: State = { range: 0, checked: new Set(), consts: new Map(), loads: new Map(), epoch: 0 };
  private pending = new Map<number, State>([[0, this.cur]]);
  private epochs = 0; // the last epoch handed out

  /** The current path's facts flow along an edge to block `to`. */
  flowTo(to: number): void { this.merge(to, this.cur); }

  /** An edge the compiler decided is never taken: `to` keeps this path's facts, marked dead. */
  flowDead(to: number): void { this.merge(to, { ...this.cur, dead: true }); }

  /** The edge taken when `view` passed its bounds check (proving `end` bytes unless its base varies). */
  flowChecked(to: number, view: HeaderVal, end: number): void {
    const s = this.cur;
    const range = view.varBase ? s.range : Math.max(s.range, end);
    this.merge(to, { ...s, range, checked: new Set([...s.checked, view]) });
  }

  /** Continue in block `id` with the merged facts of its predecessors. */
  enter(id: number): void {
    const p = this.pending.get(id);
    this.cur = p ? copyState(p) : noPath();
  }

  private merge(to: number, s: State): void {
    // unreachable code proves nothing for live successors, but keeps its own facts (loop counters) going
    if (s.never) return; // after a return: no path at all
    const p = this.pending.get(to);
    if (!p || (p.dead && !s.dead)) { this.pending.set(to, copyState(s)); return; }
    if (s.dead && !p.dead) return;
    p.range = Math.min(p.range, s.range);
    if (p.epoch !== s.epoch) p.epoch = ++this.epochs; // adjusted on some path: views from before are stale
    for (const h of p.checked) if (!s.checked.has(h)) p.checked.delete(h);
    for (const [k, v] of p.consts) if (s.consts.get(k) !== v) p.consts.delete(k);
    for (const [k, v] of p.loads) if (s.loads.get(k) !== v) p.loads.delete(k);
  }

  /** No path reaches the current code (after a return). */
  get never(): boolean { return !!this.cur.never; }
  get epoch(): number { return this.cur.epoch; }

  /** `l` now holds v: remembered when it is a constant, forgotten otherwise. */
  assigned(l: IntLocal, v: Val): void {
    if (typeof v === "bigint") this.cur.consts.set(l, v);
    else this.cur.consts.delete(l);
  }

  /** l's value: its constant on this path, else its register. */
  known(l: IntLocal): Val { return this.cur.consts.get(l) ?? l.reg; }

  /** Whether `end` bytes of `view` are proven on this path (always, where no path gets). */
  guarded(view: HeaderVal, end: number): boolean {
    const s = this.cur;
    return !!s.dead || (view.varBase ? s.checked.has(view) : s.range >= end);
  }

  /** Whether the first `end` packet bytes are proven on this path. */
  proven(end: number): boolean { return this.cur.range >= end; }

  cachedLoad(key: string): Val | undefined { return this.cur.loads.get(key); }
  rememberLoad(key: string, v: Val): void { this.cur.loads.set(key, v); }
  /** Packet bytes were written: fields read before may have changed. */
  forgetLoads(): void { this.cur.loads.clear(); }

  /** After bpf_xdp_adjust_head/tail: every header view is stale and nothing about the packet holds. */
  invalidatePacket(): void {
    const s = this.cur;
    s.epoch = ++this.epochs;
    s.range = 0;
    s.checked.clear();
    s.loads.clear();
  }
}
