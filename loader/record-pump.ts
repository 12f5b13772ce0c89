// The record printer of `tsebpf run`: takes the object's user ring buffers (loader/records.ts) and
// its BTF, polls them every 20 ms and prints each record as one JSON line (loader/btf-values.ts:
// field names from BTF, hex for a ring whose record type the object does not name). Like the log
// pump it never queues more than MAX_BACKLOG bytes for stdout: records beyond are counted, and
// reported on stop.
import type { ParsedBtf } from "../compiler/elf/btf.js";
import type { BpfMap } from "./map.js";
import { recordLine } from "./btf-values.js";
import { MAX_BACKLOG, type PumpSinks } from "./log-pump.js";
import { RecordRings } from "./records.js";
import { recordTypeId } from "./user-rings.js";

export interface RecordPump {
  stats: { printed: number; unprinted: number };
  /** Drain once more, report records not printed, stop the timer, unmap. */
  stop(): void;
}

export function pumpRecords(
  maps: BpfMap[],
  btf: ParsedBtf | undefined,
  out: PumpSinks,
  intervalMs = 20,
): RecordPump | undefined {
  const rings = new RecordRings(maps);
  if (!rings.rings.length) return undefined;
  const stats = { printed: 0, unprinted: 0 };
  const drain = () => {
    for (const [m, recs] of rings.drain())
      for (const r of recs) {
        if ((out.backlog?.() ?? 0) > MAX_BACKLOG) stats.unprinted++;
        else stats.printed++, out.print(recordLine(m.name, btf, recordTypeId(m.def), r));
      }
  };
  const timer = setInterval(drain, intervalMs);
  return {
    stats,
    stop() {
      clearInterval(timer);
      drain();
      rings.close();
      if (stats.unprinted) out.warn(`${stats.unprinted} ring-buffer record(s) not printed (stdout is not keeping up)`);
    },
  };
}
