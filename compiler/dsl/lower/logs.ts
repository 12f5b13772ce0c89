// Lowering of log calls (error/warn/info/debug/trace): takes a checked log call and emits IR that
// writes one record (docs/log-format.md: u16 format id, u8 level, u8 argc, u32 0, u64 args) on the
// stack and hands it to bpf_ringbuf_output (helper 130) on the TSEBPF_LOGS ring buffer; when that
// fails (the ring is full) it adds 1 to this CPU's slot of the TSEBPF_DROPS per-CPU counter, so
// `tsebpf run` can say exactly how many records were lost. The text goes to the format table
// (BpfObjectInput.logFormats, interned in a hash map: at most 65,536 formats, the u16 id).
// A record costs 1 + N stores and 6 insns, the drop path 8 more.
import type * as A from "../ast.js";
import type { Span } from "../../span.js";
import type { LogArgKind, LogFormat } from "../../object.js";
import type { LowerCtx } from "./core.js";
import { exprInt, LowerError } from "./types.js";
import { narrowTo } from "./int.js";
import { diag } from "../codes.js";
import {
  DROPS_MAP,
  LOG_MAP,
  LOG_RESERVED_OFFSET,
  MAX_LOG_FORMATS,
  logArgOffset,
  logArgWords,
  logHeader,
  logRecordSize,
} from "../../log-record.js";
import { STACK_LIMIT } from "../limits.js";
import { HELPER } from "../../abi.js";
import { IPV6_ADDR } from "../catalog.js";
import { copy, place } from "./structs.js";

export function lowerLog(L: LowerCtx, c: A.CallTarget & { kind: "log" }, span: Span): void {
  const id = formatId(
    L,
    c.level,
    c.pieces,
    c.args.map((a) => a.kind),
    span,
  );
  L.shared.usesLogs = true;
  const n = c.args.reduce((w, a) => w + logArgWords(a.kind), 0);
  const size = logRecordSize(n);
  if (size > STACK_LIMIT)
    throw new LowerError(
      diag(
        "stackLimit",
        `a log record with ${n} arguments needs ${size} bytes of stack; the limit is ${STACK_LIMIT}`,
        span,
      ),
    );
  // the record is reserved first, so map keys of calls inside arguments land below it
  const slot = L.scratch(size);
  // each argument is stored as soon as it is computed: nothing stays live across the record
  // (an Ipv6Addr takes two words: its 16 bytes in network order)
  let w = 0;
  for (const a of c.args) {
    const e =
      a.expr.kind === "CallExpr" && a.expr.callee?.kind === "format" && a.expr.args[0] ? a.expr.args[0] : a.expr;
    const off = slot + logArgOffset(w);
    if (a.kind === "ipv6") copy(L, { k: "place", type: IPV6_ADDR, base: 10, off, atomic: false }, place(L, e));
    else {
      const v = narrowTo(L, e, exprInt(e)); // a log argument prints its value narrowed to its type
      L.emit({ op: "store", base: 10, off, src: v, size: 8 });
    }
    w += logArgWords(a.kind);
  }
  const saved = L.span;
  L.span = span;
  L.emit({ op: "store", base: 10, off: slot, src: logHeader(id, c.level, n), size: 8 });
  const map = L.ldmap(LOG_MAP);
  const res = L.reg();
  L.emit({ op: "call", helper: HELPER.ringbuf_output, args: [map, L.frame(slot), BigInt(size), 0n], dst: res });
  countDrop(L, res, slot);
  L.span = saved;
}

/** if (res != 0) { p = lookup(TSEBPF_DROPS, &record.reserved); if (p) *p += 1 }: the record's reserved u32 is the key 0. */
function countDrop(L: LowerCtx, res: number, slot: number): void {
  const lost = L.newBlock(),
    count = L.newBlock(),
    join = L.newBlock();
  L.branch("ne", res, 0n, lost, join);
  L.start(lost);
  const p = L.reg();
  L.emit({
    op: "call",
    helper: HELPER.map_lookup_elem,
    args: [L.ldmap(DROPS_MAP), L.frame(slot + LOG_RESERVED_OFFSET)],
    dst: p,
  });
  L.branch("ne", p, 0n, count, join);
  L.start(count);
  const one = L.reg();
  L.emit({ op: "mov", dst: one, src: 1n });
  L.emit({ op: "xadd", base: p, off: 0, src: one, size: 8 });
  L.jump(join);
  L.start(join);
}

/** Format table index of (program, level, pieces, args): a hash lookup per call, one entry per distinct format. */
function formatId(L: LowerCtx, level: number, pieces: string[], args: LogArgKind[], span: Span): number {
  const program = L.prog.name;
  const fs = L.shared.logFormats;
  const index = indexOf(fs);
  const key = JSON.stringify([program, level, pieces, args]);
  const found = index.get(key);
  if (found !== undefined) return found;
  if (fs.length >= MAX_LOG_FORMATS)
    throw new LowerError(
      diag(
        "logFormats",
        `more than ${MAX_LOG_FORMATS} different log messages in one object: a log record names its format with 16 bits`,
        span,
      ),
    );
  fs.push({ program, level, pieces: [...pieces], args: [...args] });
  index.set(key, fs.length - 1);
  return fs.length - 1;
}

const indexes = new WeakMap<LogFormat[], Map<string, number>>();

function indexOf(fs: LogFormat[]): Map<string, number> {
  let m = indexes.get(fs);
  if (!m) {
    m = new Map(fs.map((f, i) => [JSON.stringify([f.program, f.level, f.pieces, f.args]), i]));
    indexes.set(fs, m);
  }
  return m;
}
