// One flow analysis for the DSL's phases: takes the facts that hold on one path through a function
// and produces the facts where paths meet. A path knows which nullable things are non-null (the
// checker's bindings, the lowerer's bounds-checked header views) and its packet epoch:
// ctx.adjustHead/adjustTail start a new epoch, and a header view taken at another epoch is stale.
// The lowerer also keeps the packet bytes proven readable, constant locals and header fields
// already read. The checker also keeps an epoch per map: `set`/`delete` on a map start a new one,
// and a reference into the map's values taken at another epoch is stale (the same rule as header
// views). It also keeps the ring-buffer records reserved and not yet submitted or discarded on a
// path (`held`), and those submitted or discarded on some path into here (`released`): the
// checker's every-path rule. fork() copies a path for a branch; join() and meet() combine paths
// where they meet.

export class Flow<K, L = never, V = never> {
  private constructor(
    /** The last epoch handed out, shared by every flow forked from the same start. */
    private readonly epochs: { last: number },
    /** Known non-null on this path. */
    readonly nonNull: Set<K>,
    /** Locals known to hold a constant on this path. */
    readonly consts: Map<L, bigint>,
    /** Packet fields already read on this path (by place), forgotten when the packet changes. */
    readonly loads: Map<string, V>,
    /** Packet bytes from its start proven readable on this path. */
    public range: number,
    /** The packet epoch of this path. */
    public epoch: number,
    /** No live path reaches here (after a return, a branch decided at compile time); its facts still hold. */
    public dead: boolean,
    /** Not even a dead path reaches here: it adds nothing where paths meet. */
    public never: boolean,
    /** Per map name, the epoch of its values on this path (absent: 0); see touch(). */
    readonly stores: Map<string, number> = new Map(),
    /** Ring-buffer records reserved and not yet submitted or discarded (on this path, or on some path into here). */
    readonly held: Set<K> = new Set(),
    /** Ring-buffer records submitted or discarded on some path into here: no longer usable. */
    readonly released: Set<K> = new Set(),
  ) {}

  static start<K, L = never, V = never>(): Flow<K, L, V> {
    return new Flow<K, L, V>({ last: 0 }, new Set(), new Map(), new Map(), 0, 0, false, false);
  }

  /** Where no path gets: anything may be read (nothing runs), and it adds nothing where paths meet. */
  none(): Flow<K, L, V> {
    return new Flow(this.epochs, new Set(), new Map(), new Map(), 1 << 30, 0, true, true);
  }

  fork(): Flow<K, L, V> {
    const { epochs, nonNull, consts, loads, range, epoch, dead, never } = this;
    const stores = new Map(this.stores);
    const [held, released] = [new Set(this.held), new Set(this.released)];
    const f = new Flow(epochs, new Set(nonNull), new Map(consts), new Map(loads), range, epoch, dead, never, stores);
    return f.holding(held, released);
  }

  /** A copy for a branch of its own: it is dead only if the branch itself returns. */
  branch(): Flow<K, L, V> {
    const f = this.fork();
    f.dead = false;
    return f;
  }

  /** ctx.adjustHead/adjustTail (or a call that may make one) on this path: older views are stale. */
  adjust(): void {
    this.epoch = ++this.epochs.last;
    this.range = 0;
    this.loads.clear();
  }

  /** `map.set`/`map.delete` (or a call that may make one) on this path: older references into it are stale. */
  touch(map: string): void {
    this.stores.set(map, ++this.epochs.last);
  }

  /** The epoch of `map`'s values on this path. */
  storeEpoch(map: string): number {
    return this.stores.get(map) ?? 0;
  }

  /** Whether a view taken at `epoch` is valid on this path. */
  valid(epoch: number): boolean {
    return epoch === this.epoch;
  }

  private holding(held: Set<K>, released: Set<K>): Flow<K, L, V> {
    for (const k of held) this.held.add(k);
    for (const k of released) this.released.add(k);
    return this;
  }

  /** This path with `k` known null: a record reserved into `k` is not held on it. */
  without(k: K): Flow<K, L, V> {
    const f = this.fork();
    f.held.delete(k);
    return f;
  }

  /** The record `k` submitted or discarded on this path. */
  release(k: K): void {
    this.held.delete(k);
    this.released.add(k);
  }

  /** This path with `k` known non-null. */
  with(k: K): Flow<K, L, V> {
    const f = this.fork();
    f.nonNull.add(k);
    return f;
  }

  /**
   * Path `s` reaches a join point whose facts so far are `at` (undefined: no path yet): the facts
   * on both paths (`at` is updated), a copy of the only live one, or `at` when `s` adds nothing.
   */
  static join<K, L, V>(at: Flow<K, L, V> | undefined, s: Flow<K, L, V>): Flow<K, L, V> | undefined {
    if (s.never) return at;
    if (!at || (at.dead && !s.dead)) return s.fork();
    if (s.dead && !at.dead) return at;
    at.range = Math.min(at.range, s.range);
    if (at.epoch !== s.epoch) at.epoch = ++at.epochs.last; // adjusted on some path: views from before are stale
    for (const m of new Set([...at.stores.keys(), ...s.stores.keys()]))
      if (at.storeEpoch(m) !== s.storeEpoch(m)) at.touch(m);
    for (const k of at.nonNull) if (!s.nonNull.has(k)) at.nonNull.delete(k);
    for (const [k, v] of at.consts) if (s.consts.get(k) !== v) at.consts.delete(k);
    for (const [k, v] of at.loads) if (s.loads.get(k) !== v) at.loads.delete(k);
    at.holding(s.held, s.released); // held or released on some path: still to release, no longer usable
    return at;
  }

  /** The facts where paths a and b come together (a new flow). */
  static meet<K, L, V>(a: Flow<K, L, V>, b: Flow<K, L, V>): Flow<K, L, V> {
    return Flow.join(a.fork(), b)!;
  }

  /**
   * This loop head reached again from `end`, the flow at the end of the body (a back edge): the head
   * without the facts `end` lost — non-null things, packet bytes proven, constant locals, fields read —
   * and once in a new epoch if `end` adjusted (views from before the loop, taken at `entryEpoch`, are
   * then stale in the body), and likewise once per map whose values `end` set or deleted (`entry`: the
   * flow into the loop, whose store epochs the head still has). Only the paths that go round count: a
   * path that returns from the body adds nothing. Undefined when the head already holds at `end`: the
   * fixed point.
   */
  loopBack(end: Flow<K, L, V>, entryEpoch: number, entry?: Flow<K, L, V>): Flow<K, L, V> | undefined {
    if (end.dead) return undefined; // the body always returns: it never goes round
    const lost = [...this.nonNull].filter((k) => !end.nonNull.has(k));
    const stale = end.epoch !== this.epoch && this.epoch === entryEpoch;
    const stores = [...end.stores.keys()].filter(
      (m) => end.storeEpoch(m) !== this.storeEpoch(m) && this.storeEpoch(m) === (entry?.storeEpoch(m) ?? 0),
    );
    const freed = [...this.held].filter((k) => end.released.has(k)); // released the first time round
    const consts = [...this.consts].filter(([k, v]) => end.consts.get(k) !== v).map(([k]) => k);
    const loads = [...this.loads].filter(([k, v]) => end.loads.get(k) !== v).map(([k]) => k);
    const short = end.range < this.range;
    if (!lost.length && !stale && !stores.length && !freed.length && !consts.length && !loads.length && !short)
      return undefined;
    const next = this.fork();
    for (const m of stores) next.touch(m);
    for (const k of lost) next.nonNull.delete(k);
    for (const k of freed) next.release(k);
    for (const k of consts) next.consts.delete(k);
    for (const k of loads) next.loads.delete(k);
    next.range = Math.min(next.range, end.range);
    if (stale) next.adjust();
    return next;
  }
}
