// The log pump of `tsebpf run`: takes the TSEBPF_LOGS ring buffer, the object's format table and
// (when the object has one) the TSEBPF_DROPS per-CPU counter the program increments for every
// record bpf_ringbuf_output could not take. Polls the ring every 20 ms and prints decoded lines;
// every second and at the end it reports records lost in the kernel (exactly, from the counter)
// and lines it did not print because stdout was not keeping up (it never queues more than
// MAX_BACKLOG bytes for stdout, so memory stays bounded whatever the reader does).
import type { LogFormat } from "../compiler/object.js";
import type { BpfMap } from "./map.js";
import type { LoadedObject } from "./object.js";
import { DROPS_MAP, LOG_MAP } from "../compiler/log-record.js";
import { MAP_TYPE } from "../compiler/abi.js";
import { decodeRecord, formatLine, RingReader, type LogRecord } from "./logs.js";

export const MAX_BACKLOG = 1 << 20;

export interface LogStats {
  printed: number;
  filtered: number;
  malformed: number;
  /** Records the program could not write (ring full), from TSEBPF_DROPS. */
  lost: number;
  /** Decoded lines not printed: stdout had MAX_BACKLOG bytes waiting. */
  unprinted: number;
  /** Without a drop counter: polls that found the ring (nearly) full. */
  fullSeen: number;
}

export interface PumpSinks {
  /** A line to print: a log record's env_logger line with the record itself (the log pump), or a JSON line. */
  print: (line: string, record?: LogRecord) => void;
  warn: (line: string) => void;
  /** Bytes waiting for the stdout reader. */
  backlog?: () => number;
}

export interface LogPump {
  stats: LogStats;
  /** True when the object counts its lost records (has TSEBPF_DROPS). */
  counted: boolean;
  /** Drain once more, report, stop the timers, unmap. */
  stop(): void;
  drain(): void;
}

export function pumpLogs(
  ring: BpfMap,
  drops: BpfMap | undefined,
  formats: LogFormat[],
  level: number,
  out: PumpSinks,
  intervalMs = 20,
): LogPump {
  const reader = new RingReader(ring.fd, ring.def.maxEntries);
  const stats: LogStats = { printed: 0, filtered: 0, malformed: 0, lost: 0, unprinted: 0, fullSeen: 0 };
  const told = { lost: 0, unprinted: 0 };
  const drain = () => {
    reader.poll((rec) => {
      const r = decodeRecord(rec, formats);
      if (!r) return void stats.malformed++;
      if (r.level > level) return void stats.filtered++;
      if ((out.backlog?.() ?? 0) > MAX_BACKLOG) return void stats.unprinted++;
      stats.printed++;
      out.print(formatLine(r), r);
    });
    stats.fullSeen = reader.fullSeen;
  };
  const report = () => {
    if (drops) stats.lost = Number(lostRecords(drops));
    if (stats.lost > told.lost) out.warn(`${stats.lost - told.lost} log records lost (the log ring buffer was full)`);
    if (stats.unprinted > told.unprinted)
      out.warn(`${stats.unprinted - told.unprinted} log lines not printed (stdout is not keeping up)`);
    Object.assign(told, { lost: stats.lost, unprinted: stats.unprinted });
  };
  const timer = setInterval(drain, intervalMs);
  const second = setInterval(report, 1000);
  return {
    stats,
    counted: !!drops,
    drain,
    stop() {
      clearInterval(timer);
      clearInterval(second);
      drain();
      report();
      reader.close();
    },
  };
}

/** The pump of an object's log ring (TSEBPF_LOGS with its format table), or undefined when it does not log. */
export function pumpObjectLogs(obj: LoadedObject, level: number, out: PumpSinks): LogPump | undefined {
  const ring = obj.map(LOG_MAP);
  if (!ring || ring.def.type !== MAP_TYPE.RINGBUF || !obj.model.logFormats?.length) return undefined;
  const drops = obj.map(DROPS_MAP);
  return pumpLogs(
    ring,
    drops?.def.type === MAP_TYPE.PERCPU_ARRAY ? drops : undefined,
    obj.model.logFormats,
    level,
    out,
  );
}

/** The sum over CPUs of TSEBPF_DROPS[0]. */
export function lostRecords(drops: BpfMap): bigint {
  const v = drops.get(Buffer.alloc(4));
  let n = 0n;
  for (let i = 0; v && i + 8 <= v.length; i += 8) n += v.readBigUInt64LE(i);
  return n;
}
