// The body of `tsebpf run`: load → fill BLOCKLIST → pin → attach → print logs until SIGINT or
// SIGTERM → detach and close. Every failure becomes a one-line CliError.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Io } from "../cli/io.js";
import { CliError } from "../cli/io.js";
import type { RunOpts } from "../cli/commands/run.js";
import { asCliError, blockAddress, blocklistMap, defaultProgramBytes, parseCidr, programBytes } from "./input.js";
import { loadObject, type LoadedObject } from "./object.js";
import { attachXdp, resolveIface, type Attachment, type XdpMode } from "./attach.js";
import { formatLine, parseLevel, pumpLogs, type LogPump } from "./logs.js";
import { objPin } from "./sys/bpf.js";

export const LOG_MAP = "TSEBPF_LOGS";
const RINGBUF = 27;

/** Runs until SIGINT/SIGTERM, or until `until` settles (for in-process callers such as tests). */
export async function runProgram(file: string | undefined, o: RunOpts, io: Io, until?: Promise<unknown>): Promise<number> {
  const opts = validate(o, io);
  const note = o.verbose ? (n: string) => io.stderr(n + "\n") : undefined;
  const { bytes, source: path } = file ? { bytes: await programBytes(file), source: file } : await defaultProgramBytes("hello", note);
  let obj: LoadedObject | undefined;
  let att: Attachment | undefined;
  let pump: LogPump | undefined;
  try {
    resolveIface(o.iface);
    obj = loadObject(bytes, { verbose: note });
    const prog = obj.program(o.program);
    fillBlocklist(obj, o.block ?? []);
    if (o.pin) pinAll(obj, o.pin);
    att = attachXdp(prog.fd, o.iface, { mode: opts.mode, netlink: o.netlink, force: o.force, verbose: note });
    note?.(`note: attached ${prog.name} to ${o.iface} (ifindex ${att.ifindex}) with ${att.kind === "link" ? "a bpf_link" : "netlink"}, program id ${att.progId}`);
    const say = (msg: string) => opts.level >= 3 && io.stdout(formatLine({ level: 3, program: prog.name, message: msg }) + "\n");
    pump = startLogs(obj, opts.level, io);
    const signal = waitForSignal(until); // listen before announcing, so an early Ctrl-C is not lost
    say("Waiting for Ctrl-C...");
    await signal;
    pump?.stop();
    say("Exiting...");
    report(pump, io, note);
    pump = undefined;
    return 0;
  } catch (e) {
    throw asCliError(e, path);
  } finally {
    pump?.stop();
    att?.detach();
    obj?.close();
  }
}

function validate(o: RunOpts, io: Io): { mode?: XdpMode; level: number } {
  if (o.mode && !["skb", "drv", "hw"].includes(o.mode)) throw new CliError(`--mode '${o.mode}': expected skb, drv or hw`);
  for (const b of o.block ?? []) if (!parseCidr(b)) throw new CliError(`--block '${b}': not an IPv4 address or CIDR (e.g. 198.51.100.3 or 198.51.100.0/24)`);
  let level: number;
  try {
    level = parseLevel(o.logLevel ?? io.env.TSEBPF_LOG);
  } catch (e) {
    throw new CliError((o.logLevel ? "--log-level: " : "TSEBPF_LOG: ") + (e as Error).message);
  }
  return { mode: o.mode as XdpMode | undefined, level };
}

function fillBlocklist(obj: LoadedObject, blocks: string[]): void {
  if (!blocks.length) return;
  const map = blocklistMap(obj.maps);
  if (!map) throw new CliError(`--block needs a map named BLOCKLIST, and this program has none (maps: ${obj.maps.map((m) => m.name).join(", ") || "none"})`);
  for (const b of blocks) blockAddress(map, b);
}

function pinAll(obj: LoadedObject, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const p of obj.programs) objPin(p.fd, join(dir, p.name));
  for (const m of obj.maps) objPin(m.fd, join(dir, m.name));
}

function startLogs(obj: LoadedObject, level: number, io: Io): LogPump | undefined {
  const map = obj.map(LOG_MAP);
  if (!map || map.def.type !== RINGBUF || !obj.model.logFormats?.length) return undefined;
  return pumpLogs(map.fd, map.def.maxEntries, obj.model.logFormats, level, (l) => io.stdout(l + "\n"));
}

function report(pump: LogPump | undefined, io: Io, note?: (n: string) => void): void {
  if (!pump) return;
  const s = pump.stats;
  note?.(`note: ${s.printed} log record(s) printed, ${s.filtered} below the log level, ${s.malformed} malformed`);
  if (s.fullSeen) io.stderr(`warning: the log ring buffer was full ${s.fullSeen} time(s); records may have been dropped\n`);
  if (s.malformed) io.stderr(`warning: ${s.malformed} log record(s) did not match the object's format table\n`);
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function waitForSignal(until?: Promise<unknown>): Promise<string> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => {}, 1 << 30); // signal listeners alone do not keep Node running
    const on = (sig: string) => {
      clearInterval(keepAlive);
      for (const s of SIGNALS) process.off(s, on);
      resolve(sig);
    };
    for (const s of SIGNALS) process.on(s, on);
    until?.then(() => on("stop"), () => on("stop"));
  });
}
