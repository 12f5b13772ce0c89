// The body of `tsebpf run`: listen for stop → load → fill BLOCKLIST and --map entries → pin → attach → print logs
// and ring-buffer records (one JSON line each) until stopped → detach (if the program is still
// ours), print the maps' non-zero entries with --stats, and close. Failures are thrown as they
// are (cli/errors.ts prints them).
import type { Io } from "../io.js";
import { CliError } from "../errors.js";
import { NOT_AN_ADDRESS, blockAddress, blocklistMap, fillMaps } from "../map-args.js";
import { parseSets } from "../set-args.js";
import type { GlobalValue } from "../../loader/globals.js";
import { listenForStop, type Stop } from "../stop.js";
import { parseCidr } from "../../loader/ip-addr.js";
import { defaultProgramBytes, programBytes } from "../../loader/input.js";
import { loadObject, type LoadedObject } from "../../loader/object.js";
import { attachXdp, resolveIface, type Attachment, type XdpMode } from "../../loader/attach.js";
import { formatLine, parseLevel } from "../../loader/logs.js";
import { pumpObjectLogs, type LogPump, type PumpSinks } from "../../loader/log-pump.js";
import { pumpRecords, type RecordPump } from "../../loader/record-pump.js";
import { objectBtf, withPrograms } from "../../loader/map-codec.js";
import { pinAll, type Pins } from "../../loader/pin.js";
import { statsLines } from "../../loader/map-stats.js";

/** `tsebpf run`'s options, as commander parses them. */
export interface RunOpts {
  iface: string;
  block?: string[];
  mode?: string;
  netlink?: boolean;
  force?: boolean;
  pin?: string;
  logLevel?: string;
  program?: string;
  verbose?: boolean;
  set?: string[];
  stats?: boolean;
  map?: string[];
}

/**
 * Runs until a stop signal (loader/stop.ts), a closed stdout, or until `until` settles (for
 * in-process callers such as tests). Whatever happens, the program is detached before returning.
 */
export async function runProgram(
  file: string | undefined,
  o: RunOpts,
  io: Io,
  until?: Promise<unknown>,
): Promise<number> {
  const opts = validate(o, io);
  const stop = listenForStop(io, until); // before anything is attached
  try {
    return await session(file, o, opts, io, stop);
  } finally {
    stop.dispose();
  }
}

async function session(
  file: string | undefined,
  o: RunOpts,
  opts: ReturnType<typeof validate>,
  io: Io,
  stop: Stop,
): Promise<number> {
  const note = o.verbose ? (n: string) => io.stderr(n + "\n") : undefined;
  const { bytes, source: path } = file
    ? { bytes: await programBytes(file), source: file }
    : await defaultProgramBytes("hello", note);
  let obj: LoadedObject | undefined;
  let att: Attachment | undefined;
  let pins: Pins | undefined;
  let pump: LogPump | undefined;
  let records: RecordPump | undefined;
  const detach = () => {
    const notOurs = att?.detach();
    if (notOurs) io.stderr(`tsebpf: note: ${notOurs}\n`);
  };
  try {
    const ifindex = resolveIface(o.iface); // before loading: a wrong name fails fast
    obj = loadObject(bytes, { verbose: note, source: path, pin: o.pin, set: opts.set });
    const prog = obj.program(o.program);
    fillBlocklist(obj, o.block ?? []);
    const loaded = obj;
    if (o.map?.length)
      fillMaps(
        obj.maps.map((m) => withPrograms(m, loaded)),
        obj.model.btf,
        o.map,
      );
    if (o.pin) pins = pinAll(obj, o.pin);
    att = attachXdp(prog.fd, o.iface, { mode: opts.mode, netlink: o.netlink, force: o.force, verbose: note, ifindex });
    process.once("exit", detach); // an uncaught exception still detaches
    note?.(
      `note: attached ${prog.name} to ${o.iface} (ifindex ${att.ifindex}) with ${att.kind === "link" ? "a bpf_link" : "netlink"}, program id ${att.progId}`,
    );
    const say = (msg: string) =>
      opts.level >= 3 && io.stdout(formatLine({ level: 3, program: prog.name, message: msg }) + "\n");
    // The attached line first: the pumps start after it (their first poll is a timer away, so the
    // order of lines is the same; records written meanwhile wait in the rings).
    say("Waiting for Ctrl-C...");
    pump = startLogs(obj, opts.level, io);
    records = pumpRecords(obj.maps, objectBtf(obj.model.btf), sinks(io));
    await stop.wait;
    pump?.stop();
    records?.stop();
    records = undefined;
    say("Exiting...");
    if (o.stats) for (const l of statsLines(obj.maps, objectBtf(obj.model.btf))) io.stdout(l + "\n");
    report(pump, io, note);
    pump = undefined;
    return 0;
  } catch (e) {
    if (!att) pins?.remove(); // nothing ran: leave nothing behind
    throw e;
  } finally {
    pump?.stop();
    records?.stop();
    process.off("exit", detach);
    detach();
    obj?.close();
  }
}

function validate(o: RunOpts, io: Io): { mode?: XdpMode; level: number; set: Record<string, GlobalValue> } {
  if (o.mode && !["skb", "drv", "hw"].includes(o.mode))
    throw new CliError(`--mode '${o.mode}': expected skb, drv or hw`);
  for (const b of o.block ?? []) if (!parseCidr(b)) throw new CliError(`--block '${b}': ${NOT_AN_ADDRESS}`);
  let level: number;
  try {
    level = parseLevel(o.logLevel ?? io.env.TSEBPF_LOG);
  } catch (e) {
    throw new CliError((o.logLevel ? "--log-level: " : "TSEBPF_LOG: ") + (e as Error).message);
  }
  return { mode: o.mode as XdpMode | undefined, level, set: parseSets(o.set ?? []) };
}

function fillBlocklist(obj: LoadedObject, blocks: string[]): void {
  if (!blocks.length) return;
  const map = blocklistMap(obj.maps);
  if (!map)
    throw new CliError(
      `--block needs a map named BLOCKLIST, and this program has none (maps: ${obj.maps.map((m) => m.name).join(", ") || "none"})`,
    );
  for (const b of blocks) blockAddress(map, b);
}

function startLogs(obj: LoadedObject, level: number, io: Io): LogPump | undefined {
  return pumpObjectLogs(obj, level, sinks(io));
}

/** Lines to stdout, warnings to stderr, with the stdout backlog the pumps bound themselves by. */
function sinks(io: Io): PumpSinks {
  return {
    print: (l: string) => io.stdout(l + "\n"),
    warn: (l: string) => io.stderr(`tsebpf: warning: ${l}\n`),
    backlog: io.stdoutBacklog,
  };
}

function report(pump: LogPump | undefined, io: Io, note?: (n: string) => void): void {
  if (!pump) return;
  const s = pump.stats;
  note?.(
    `note: ${s.printed} log record(s) printed, ${s.filtered} below the log level, ${s.malformed} malformed, ${s.lost} lost, ${s.unprinted} not printed`,
  );
  if (s.fullSeen && !pump.counted)
    io.stderr(
      `tsebpf: warning: the log ring buffer was full ${s.fullSeen} time(s); records may have been lost (this object does not count them: rebuild it)\n`,
    );
  if (s.malformed) io.stderr(`tsebpf: warning: ${s.malformed} log record(s) did not match the object's format table\n`);
}
