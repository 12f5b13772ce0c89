// obj.logs of the library API: takes a loaded object's log ring buffer (TSEBPF_LOGS, the DSL's
// info()/warn()/… records) and gives them as events — on("record", r => …) starts reading the ring
// (every 20 ms, as `tsebpf run` does; the process stays alive while someone listens), off() with
// the last listener or the object's close() stops it. print() is env_logger's printer on stderr.
import { LOG_LEVELS } from "../../compiler/log-record.js";
import { LoaderError } from "../errors.js";
import type { LogPump, PumpSinks } from "../log-pump.js";
import { formatLine, parseLevel } from "../logs.js";

/** One log record: level 1 error … 5 trace (levelName "ERROR" … "TRACE"), the program, the message. */
export interface LogEvent {
  level: number;
  levelName: string;
  program: string;
  message: string;
}

type Listener = (r: LogEvent) => void;
type Warning = (message: string) => void;

export class Logs {
  private readonly records = new Set<Listener>();
  private readonly warnings = new Set<Warning>();
  private pump?: LogPump;

  /** `start` reads the ring into the sinks; undefined when the object does not log. */
  constructor(private readonly start: (sinks: PumpSinks) => LogPump | undefined) {}

  /** "record": every log record; "warning": records lost because the ring buffer was full. */
  on(event: "record", fn: Listener): this;
  on(event: "warning", fn: Warning): this;
  on(event: "record" | "warning", fn: Listener | Warning): this {
    if (event === "warning") this.warnings.add(fn as Warning);
    else this.records.add(fn as Listener);
    if (event === "record" && !this.pump) this.pump = this.open();
    return this;
  }

  off(event: "record" | "warning", fn: Listener | Warning): this {
    if (event === "warning") this.warnings.delete(fn as Warning);
    else this.records.delete(fn as Listener);
    if (!this.records.size) this.stop();
    return this;
  }

  /**
   * Print records as env_logger does (`[2026-11-24T18:03:11Z INFO  xdp_hello] message`) at `level`
   * and above (a name or "off"; default $TSEBPF_LOG, else info) with `write` (default: stderr).
   * Returns a function that stops printing.
   */
  print(opts: { level?: string; write?: (line: string) => void } = {}): () => void {
    let max: number;
    try {
      max = parseLevel(opts.level ?? process.env.TSEBPF_LOG);
    } catch (e) {
      throw new LoaderError("bad-level", "logs.print", (e as Error).message);
    }
    const write = opts.write ?? ((l: string) => process.stderr.write(`${l}\n`));
    const fn: Listener = (r) => r.level <= max && write(formatLine(r));
    this.on("record", fn);
    return () => this.off("record", fn);
  }

  /** Stop reading (the object's close() calls it). */
  stop(): void {
    this.pump?.stop();
    this.pump = undefined;
  }

  private open(): LogPump {
    const pump = this.start({
      print: (_line, r) => {
        if (!r) return;
        const e: LogEvent = { ...r, levelName: LOG_LEVELS[r.level] ?? "?" };
        for (const fn of this.records) fn(e);
      },
      warn: (w) => this.warnings.forEach((fn) => fn(w)),
    });
    if (!pump) {
      this.records.clear();
      throw new LoaderError("no-logs", "obj.logs", "this program does not log (it has no TSEBPF_LOGS ring buffer)");
    }
    return pump;
  }
}
