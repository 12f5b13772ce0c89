// The body of `tsebpf test`: takes a program file, packets and map entries, runs each packet with
// BPF_PROG_TEST_RUN — or in the in-process VM with --vm, or when the kernel path is unavailable
// here (one note says why) — and prints verdicts (text or JSON) with the records each packet's run
// wrote to the program's ring buffers (decoded by their BTF record type, docs/ring-buffers.md).
import type { Io } from "../io.js";
import { CliError } from "../errors.js";
import { readPackets } from "../packet-args.js";
import { fillMaps } from "../map-args.js";
import { parseSets } from "../set-args.js";
import { parseRoutes } from "../route-args.js";
import type { FibRoute } from "../../loader/vm/fib.js";
import type { GlobalValue } from "../../loader/globals.js";
import { programBytes } from "../../loader/input.js";
import { LoaderError } from "../../loader/errors.js";
import { kernelEngine, KernelUnavailable, vmEngine, type TestEngine } from "../../loader/test-engines.js";
import { ElfFormatError } from "../../compiler/elf/bytes.js";
import { VmCompileError } from "../../loader/vm/compile.js";
import { VmMapError } from "../../loader/vm/maps.js";
import { VmFault } from "../../loader/vm/memory.js";
import { xdpActionName } from "../../loader/xdp-action.js";
import { objectBtf } from "../../loader/map-codec.js";
import { jsonLine, recordOrHex, type PlainValue } from "../../loader/btf-values.js";
import { recordTypeId } from "../../loader/user-rings.js";
import type { ParsedBtf } from "../../compiler/elf/btf.js";

const ETH_HLEN = 14;

export interface RunTestsOpts {
  packet: string[];
  repeat: string;
  map?: string[];
  json?: boolean;
  program?: string;
  vm?: boolean;
  set?: string[];
  route?: string[];
}

export async function runTests(file: string, o: RunTestsOpts, io: Io): Promise<number> {
  const repeat = parseRepeat(o.repeat);
  const packets = o.packet.flatMap((p) => readPackets(p, (w) => io.stderr(`warning: ${w}\n`)));
  packets.forEach((p, i) => {
    if (p.length < ETH_HLEN)
      throw new CliError(
        `packet ${i + 1} is ${p.length} byte(s); XDP test runs need at least ${ETH_HLEN} (an Ethernet header)`,
      );
  });
  const set = parseSets(o.set ?? []);
  const routes = parseRoutes(o.route ?? []);
  const bytes = await programBytes(file);
  let engine: TestEngine | undefined;
  try {
    engine = await openEngine(file, bytes, { ...o, set, routes }, io);
    fillMaps(engine.maps, engine.btf, o.map ?? []);
    const e = engine;
    const btf = objectBtf(e.btf);
    const results = packets.map((p, i) => {
      const r = e.run(p, repeat);
      const changed = Buffer.compare(Buffer.from(r.dataOut), Buffer.from(p)) !== 0;
      const records = decodedRecords(e, btf);
      return {
        packet: i + 1,
        verdict: xdpActionName(r.retval),
        retval: r.retval,
        nsPerPacket: r.durationNs,
        ...(changed ? { dataOut: Buffer.from(r.dataOut).toString("hex") } : {}),
        ...(records ? { records } : {}),
      };
    });
    const width = Math.max(12, ...results.map((r) => r.verdict.length)); // one column, also for "unknown action 7"
    const globals = decodedGlobals(e, btf);
    if (o.json)
      io.stdout(
        jsonLine({ program: e.program, engine: e.kind, repeat, results, ...(globals ? { globals } : {}) }, 2) + "\n",
      );
    else
      for (const r of results) {
        io.stdout(`packet ${r.packet}: ${r.verdict.padEnd(width)} ${r.nsPerPacket} ns/packet\n`);
        if (r.dataOut) io.stdout(`  output (${r.dataOut.length / 2} bytes): ${r.dataOut}\n`);
        for (const [ring, recs] of Object.entries(r.records ?? {}))
          for (const rec of recs) io.stdout(`  ${ring}: ${jsonLine(rec)}\n`);
      }
    return 0;
  } catch (e) {
    throw engineCliError(e, file);
  } finally {
    engine?.close();
  }
}

/** The records the run wrote, per ring buffer, decoded by BTF (`{hex}` without a record type). */
function decodedRecords(e: TestEngine, btf: ParsedBtf | undefined): Record<string, PlainValue[]> | undefined {
  const drained = e.drainRecords();
  if (!drained.length) return undefined;
  return Object.fromEntries(
    drained.map(({ def, records }) => [def.name, records.map((b) => recordOrHex(btf, recordTypeId(def), b))]),
  );
}

/** Each global data map's variables after the runs (by BTF; `{hex}` for a section without one). */
function decodedGlobals(e: TestEngine, btf: ParsedBtf | undefined): Record<string, PlainValue> | undefined {
  const all = e.globals();
  if (!all.length) return undefined;
  return Object.fromEntries(all.map(({ def, value }) => [def.name, recordOrHex(btf, def.btfValueTypeId, value)]));
}

export function parseRepeat(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 0xffffffff)
    throw new CliError(`--repeat '${s}': expected a positive integer`);
  return Number(s);
}

/** The kernel unless --vm; the VM with one note when the kernel path is unavailable. */
async function openEngine(
  file: string,
  bytes: Uint8Array,
  o: Omit<RunTestsOpts, "set"> & { set: Record<string, GlobalValue>; routes: FibRoute[] },
  io: Io,
): Promise<TestEngine> {
  if (o.vm) return vmEngine(file, bytes, o.program, o.set, o.routes);
  if (o.routes.length)
    throw new CliError(
      "--route sets the VM's routes (add --vm); in the kernel, bpf_fib_lookup looks up the FIB of this network namespace (ip route)",
    );
  try {
    return await kernelEngine(file, bytes, o.program, (n) => io.stderr(n + "\n"), o.set);
  } catch (e) {
    if (!(e instanceof KernelUnavailable)) throw e;
    io.stderr(`note: ${e.message}; running in the in-process VM instead (as --vm does)\n`);
    return vmEngine(file, bytes, o.program, o.set, o.routes);
  }
}

/** The VM's errors (refused instruction or map, fault, bad ELF) as errors cli/errors.ts prints in one line. */
export function engineCliError(e: unknown, file: string): unknown {
  if (e instanceof VmCompileError || e instanceof VmMapError)
    return new CliError(`${file}: the VM cannot run this object: ${e.message}`);
  if (e instanceof VmFault) return new CliError(`${file}: fault in the VM: ${e.message}`);
  if (e instanceof ElfFormatError)
    return new LoaderError("bad-object", file, `not a valid BPF object: ${e.message}`, undefined, { cause: e });
  return e;
}
