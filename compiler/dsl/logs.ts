// Lowering of log calls (error/warn/info/debug/trace): takes a checked log call and emits IR that
// writes one record (docs/log-format.md: u16 format id, u8 level, u8 argc, u32 0, u64 args) on the
// stack and hands it to bpf_ringbuf_output (helper 130) on the TSEBPF_LOGS ring buffer. The text
// goes to the format table (BpfObjectInput.logFormats); a record costs 1 + N stores and 6 insns.
import type * as A from "./ast.js";
import type { Span } from "../span.js";
import type { LogArgKind } from "../object.js";
import { exprInt, LOG_MAP, LowerError, type Lowerer } from "./lower.js";
import { narrowTo } from "./lower-int.js";
import { error } from "../diagnostics.js";

export const LOG_RINGBUF_SIZE = 262144;

export function lowerLog(L: Lowerer, c: A.CallTarget & { kind: "log" }, span: Span): void {
  const id = formatId(L, c.level, c.pieces, c.args.map((a) => a.kind));
  L.shared.usesLogs = true;
  const n = c.args.length;
  if (8 + 8 * n > 512) throw new LowerError(error("TSB9502", `a log record with ${n} arguments needs ${8 + 8 * n} bytes of stack; the limit is 512`, span));
  // the record is reserved first, so map keys of calls inside arguments land below it
  const slot = L.scratch(8 + 8 * n);
  // each argument is stored as soon as it is computed: nothing stays live across the record
  c.args.forEach((a, i) => {
    const e = a.expr.kind === "CallExpr" && a.expr.callee?.kind === "format" && a.expr.args[0] ? a.expr.args[0] : a.expr;
    const t = exprInt(e);
    const v = narrowTo(L, e, t); // a log argument prints its value narrowed to its type
    L.emit({ op: "store", base: 10, off: slot + 8 + 8 * i, src: v, size: 8 });
  });
  const saved = L.span;
  L.span = span;
  L.emit({ op: "store", base: 10, off: slot, src: BigInt(id | (c.level << 16) | (n << 24)), size: 8 });
  const map = L.ldmap(LOG_MAP);
  L.emit({ op: "call", helper: 130, args: [map, L.frame(slot), BigInt(8 + 8 * n), 0n], dst: L.reg() });
  L.span = saved;
}

function formatId(L: Lowerer, level: number, pieces: string[], args: LogArgKind[]): number {
  const program = L.prog.name;
  const key = JSON.stringify([program, level, pieces, args]);
  const fs = L.shared.logFormats;
  const found = fs.findIndex((f) => JSON.stringify([f.program, f.level, f.pieces, f.args]) === key);
  if (found >= 0) return found;
  fs.push({ program, level, pieces: [...pieces], args: [...args] });
  return fs.length - 1;
}
