// One flow analysis for the DSL's phases: takes the facts that hold on one path through a function
// and produces the facts where paths meet. A path knows which nullable things are non-null (the
// checker's bindings, the lowerer's header views) and its packet epoch: ctx.adjustHead/adjustTail
// start a new epoch, and a header view taken at another epoch is stale. fork() copies a path for a
// branch; meet() joins two paths; a path after a return (`never`) adds nothing where it meets others.

export class Flow<K> {
  private constructor(
    /** The last epoch handed out, shared by every flow forked from the same start. */
    private readonly epochs: { last: number },
    /** Known non-null on this path. */
    readonly nonNull: Set<K>,
    /** The packet epoch of this path. */
    public epoch: number,
    /** No path reaches here (code after a return); the facts still describe the code that follows. */
    public never: boolean,
  ) {}

  static start<K>(): Flow<K> {
    return new Flow<K>({ last: 0 }, new Set(), 0, false);
  }

  fork(): Flow<K> {
    return new Flow(this.epochs, new Set(this.nonNull), this.epoch, this.never);
  }

  /** A copy for a branch of its own: it ends (`never`) only if the branch itself returns. */
  branch(): Flow<K> {
    const f = this.fork();
    f.never = false;
    return f;
  }

  /** ctx.adjustHead/adjustTail (or a call that may make one) on this path: older views are stale. */
  adjust(): void {
    this.epoch = ++this.epochs.last;
  }

  /** Whether a view taken at `epoch` is valid on this path. */
  valid(epoch: number): boolean {
    return epoch === this.epoch;
  }

  /** This path with `k` known non-null. */
  with(k: K): Flow<K> {
    const f = this.fork();
    f.nonNull.add(k);
    return f;
  }

  /**
   * This loop head reached again from `end`, the flow at the end of the body: the head without the
   * facts `end` lost, and once in a new epoch if `end` adjusted (views from before the loop, taken at
   * `entryEpoch`, are then stale in the body). Undefined when the head already holds at `end`.
   */
  loopBack(end: Flow<K>, entryEpoch: number): Flow<K> | undefined {
    if (end.never) return undefined; // the body always returns: it never goes round
    const lost = [...this.nonNull].filter((k) => !end.nonNull.has(k));
    const stale = end.epoch !== this.epoch && this.epoch === entryEpoch;
    if (!lost.length && !stale) return undefined;
    const next = this.fork();
    for (const k of lost) next.nonNull.delete(k);
    if (stale) next.adjust();
    return next;
  }

  /** The facts where paths a and b come together: those on both, or those of the only path that gets here. */
  static meet<K>(a: Flow<K>, b: Flow<K>): Flow<K> {
    if (a.never !== b.never) return (a.never ? b : a).fork();
    const out = a.fork();
    for (const k of a.nonNull) if (!b.nonNull.has(k)) out.nonNull.delete(k);
    if (a.epoch !== b.epoch) out.adjust();
    return out;
  }
}
