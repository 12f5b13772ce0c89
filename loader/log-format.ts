// Log records as text: takes one record of docs/log-format.md (layout: compiler/log-record.ts) and
// the object's format table, produces its level, program and message, and the env_logger line
// `run` prints. Loads nothing native (the VM's test API decodes its ring buffer with it too).
import type { LogFormat } from "../compiler/object.js";
import {
  LOG_HEADER_SIZE,
  LOG_LEVELS,
  logArgOffset,
  logArgWords,
  logRecordSize,
  readLogHeader,
} from "../compiler/log-record.js";
import { formatIpv6 } from "./ip-addr.js";

/** `--log-level` / TSEBPF_LOG value → numeric level (1 error … 5 trace); "off" is 0. */
export function parseLevel(s: string | undefined, dflt = 3): number {
  if (!s) return dflt;
  const i = LOG_LEVELS.indexOf(s.trim().toUpperCase());
  if (i > 0) return i;
  if (/^off$/i.test(s.trim())) return 0;
  throw new Error(`unknown log level '${s}' (expected error, warn, info, debug, trace or off)`);
}

export interface LogRecord {
  level: number;
  program: string;
  message: string;
}

/** Decode one record with the object's format table; undefined when it is malformed. */
export function decodeRecord(rec: Uint8Array, formats: LogFormat[]): LogRecord | undefined {
  if (rec.length < LOG_HEADER_SIZE) return undefined;
  const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const { format, level, argc: n } = readLogHeader(dv);
  const f = formats[format];
  const words = f ? f.args.reduce((w, k) => w + logArgWords(k), 0) : -1;
  if (!f || rec.length < logRecordSize(n) || n !== words) return undefined;
  let message = f.pieces[0];
  for (let i = 0, w = 0; i < f.args.length; w += logArgWords(f.args[i]!), i++) {
    const off = logArgOffset(w);
    const text =
      f.args[i] === "ipv6" ? formatIpv6(rec.subarray(off, off + 16)) : formatArg(f.args[i], dv.getBigUint64(off, true));
    message += text + f.pieces[i + 1];
  }
  return { level: level || f.level, program: f.program, message };
}

export function formatArg(kind: string, v: bigint): string {
  switch (kind) {
    case "i64":
      return BigInt.asIntN(64, v).toString();
    case "hex":
      return v.toString(16);
    case "ipv4":
      return [24, 16, 8, 0].map((s) => Number((v >> BigInt(s)) & 0xffn)).join(".");
    case "mac":
      return [40, 32, 24, 16, 8, 0]
        .map((s) =>
          Number((v >> BigInt(s)) & 0xffn)
            .toString(16)
            .padStart(2, "0"),
        )
        .join(":");
    case "bool":
      return v ? "true" : "false";
    default:
      return v.toString();
  }
}

/** `[2026-11-24T18:03:11Z INFO  xdp_hello] received a packet` */
export function formatLine(r: LogRecord, now = new Date()): string {
  return `[${utcSeconds(now)} ${(LOG_LEVELS[r.level] ?? "?").padEnd(5)} ${r.program}] ${r.message}`;
}

/** `2026-11-24T18:03:11Z`, from the UTC fields: toISOString's first call sets up V8's time-zone
 * cache (≈ 1 ms of `tsebpf run`'s start-up, before the attached line). */
export function utcSeconds(d: Date): string {
  const y = d.getUTCFullYear();
  if (!(y >= 1000 && y <= 9999)) return d.toISOString().replace(/\.\d+Z$/, "Z"); // ±YYYYYY, NaN
  const two = (n: number) => (n < 10 ? "0" : "") + n;
  return `${y}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}Z`;
}
