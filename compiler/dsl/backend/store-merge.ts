// Constant stack stores merged, the optimiser's last pass: takes an IR Func and rewrites each block
// in place so that the constant stores of a run of ops with no read of the stack in it (no stack
// load, no helper call, no access through a pointer into the stack) become as few aligned stores as
// cover their bytes — `*(u16 *)(r10 - 8) = 0; *(u16 *)(r10 - 6) = 0; *(u8 *)(r10 - 4) = v;
// *(u8 *)(r10 - 3) = 0; *(u16 *)(r10 - 2) = 0` gives `*(u64 *)(r10 - 8) = 0; *(u8 *)(r10 - 4) = v`, as
// clang zeroes a struct with padding. The merged stores take the place of the run's first constant
// store; a byte a later store of the run writes anyway may be covered by them too (it is written
// again before anything reads it). Stores stay aligned (the verifier wants aligned stack access)
// and their value fits one instruction's immediate.
import { type Func, type Op, type Reg, type Size, rpo } from "../ir.js";
import { stackPointers } from "./stack-forward.js";

const FP = 10;
type Store = Extract<Op, { op: "store" }>;

export function mergeConstStores(f: Func): boolean {
  const stackPtrs = stackPointers(f, rpo(f));
  let changed = false;
  for (const id of rpo(f)) {
    const b = f.blocks[id]!;
    const out: Op[] = [];
    let run: Op[] = [];
    const flush = (): void => {
      const merged = mergeRun(run);
      if (merged !== run) changed = true;
      out.push(...merged);
      run = [];
    };
    for (const o of b.ops) {
      if (readsStack(o, stackPtrs)) {
        flush();
        out.push(o);
      } else run.push(o);
    }
    flush();
    b.ops = out;
  }
  return changed;
}

/** Whether `o` may read the stack or write it other than through r10 (it ends a run). */
function readsStack(o: Op, stackPtrs: Set<Reg>): boolean {
  if (o.op === "call" || o.op === "callp") return true;
  if (o.op === "load" || o.op === "xadd") return stackPtrs.has(o.base);
  return o.op === "store" && o.base !== FP && stackPtrs.has(o.base);
}

const isConstStore = (o: Op): o is Store & { src: bigint } =>
  o.op === "store" && o.base === FP && typeof o.src === "bigint";
const overlaps = (a: Store, b: Store): boolean => a.off < b.off + b.size && b.off < a.off + a.size;

/** The run with its movable constant stores replaced by fewer wider ones (or the run itself). */
function mergeRun(run: Op[]): Op[] {
  const first = run.findIndex(isConstStore);
  if (first < 0) return run;
  const stores = run.map((o, i) => ({ o, i })).filter((x): x is { o: Store; i: number } => x.o.op === "store");
  // a constant store moves up to the first one unless a store in between writes its bytes
  const moved = stores.filter(
    ({ o, i }) => i >= first && isConstStore(o) && !stores.some((s) => s.i >= first && s.i < i && overlaps(s.o, o)),
  );
  const bytes = new Map<number, bigint>();
  for (const { o } of moved)
    for (let k = 0; k < o.size; k++)
      bytes.set(o.off + k, (BigInt.asUintN(64, o.src as bigint) >> BigInt(8 * k)) & 0xffn);
  const movedSet = new Set(moved.map((m) => m.i));
  const later = new Set<number>();
  for (const { o, i } of stores)
    if (i > first && !movedSet.has(i)) for (let k = 0; k < o.size; k++) later.add(o.off + k);
  const wide = cover(bytes, later, run[first]!.span);
  if (wide.length >= moved.length) return run;
  return [
    ...run.slice(0, first).filter((_, i) => !movedSet.has(i)),
    ...wide,
    ...run.slice(first).filter((_, i) => !movedSet.has(i + first)),
  ];
}

/** Aligned stores writing every byte of `bytes` (and maybe some of `free`), largest first. */
function cover(bytes: Map<number, bigint>, free: Set<number>, span: Op["span"]): Store[] {
  const out: Store[] = [];
  const chunks = new Set([...bytes.keys()].map((b) => Math.floor(b / 8) * 8));
  const emit = (lo: number, w: Size): void => {
    const offs = Array.from({ length: w }, (_, k) => lo + k);
    if (!offs.some((b) => bytes.has(b))) return;
    const value = offs.reduce((v, b, k) => v | ((bytes.get(b) ?? 0n) << BigInt(8 * k)), 0n);
    if (offs.every((b) => bytes.has(b) || free.has(b)) && fitsImm(value)) {
      out.push({ op: "store", base: FP, off: lo, src: BigInt.asIntN(64, value), size: w, span });
      return;
    }
    const half = (w / 2) as Size;
    emit(lo, half);
    emit(lo + half, half);
  };
  for (const c of [...chunks].sort((a, b) => a - b)) emit(c, 8);
  return out;
}

/** A 64-bit value one mov can load (sign-extended 32-bit, or zero-extended 32-bit). */
const fitsImm = (v: bigint): boolean => v < 1n << 32n || v >= (1n << 64n) - (1n << 31n);
