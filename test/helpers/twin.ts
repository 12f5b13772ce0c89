// Every kernel test-run case also in the VM (issue 11 §4): takes a loaded object (a library API
// BpfObject: apiTestRun; a program and maps pinned by `run --pin`: pinnedTestRun), a program and a
// packet, runs BPF_PROG_TEST_RUN, and the same packet in an XdpVm twin of the object whose maps
// were first set to the kernel's (prog arrays by program, per-CPU maps per CPU); fails unless both
// agree on the verdict, the output packet and every key/value map after the run (per-CPU maps
// summed over CPUs: test-run picks the CPU). Returns the kernel's result. Cases the VM cannot take
// (multi-buffer packets, an object it refuses) run in the kernel only and are counted apart.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { twinCounts } from "./twin-counts.js";
import { MAP_TYPE } from "../../compiler/abi.js";
import { DROPS_MAP } from "../../compiler/log-record.js";
import { BpfMap, perCpuValues, possibleCpus } from "../../loader/map.js";
import { readModel, type LoadedObject, type ProgramHandle } from "../../loader/object.js";
import { type BpfObject, loadedObjectOf } from "../../loader/api/object.js";
import { pinName } from "../../loader/pin.js";
import { objGet, progInfo } from "../../loader/sys/bpf.js";
import { closeFd } from "../../loader/sys/libc.js";
import { testRun, type TestRunOptions, type TestRunOutput } from "../../loader/test-run.js";
import type { VmMap } from "../../loader/vm/maps.js";
import { MAX_PACKET, XdpVm } from "../../loader/vm/xdp.js";

const PERCPU = new Set<number>([MAP_TYPE.PERCPU_HASH, MAP_TYPE.PERCPU_ARRAY, MAP_TYPE.LRU_PERCPU_HASH]);
/** Maps compared after a run: not rings (records are the test's), prog arrays or xskmaps (no values). */
const UNCOMPARED = new Set<number>([MAP_TYPE.RINGBUF, MAP_TYPE.PROG_ARRAY, MAP_TYPE.XSKMAP]);

const twins = new WeakMap<LoadedObject, Map<string, XdpVm | string>>();

export interface CheckOptions extends TestRunOptions {
  /** The program (default the first). */
  program?: string;
  /** Maps not compared after the run (a reader in another task drains the ring they count for). */
  uncompared?: string[];
}

/** BPF_PROG_TEST_RUN of `program` (default the first), checked against the VM. */
export function testRunChecked(o: LoadedObject, packet: Uint8Array, opts: CheckOptions = {}): TestRunOutput {
  const p = o.program(opts.program);
  return checked(
    o,
    p,
    packet,
    opts,
    () => testRun(p.fd, packet, opts),
    (k) => [k.retval, k.dataOut],
  );
}

/** The library API's `obj.program(name).testRun(packet, { repeat })`, checked against the VM as
 *  testRunChecked checks a raw run (the same object's maps, the same comparisons). */
export function apiTestRun(obj: BpfObject, packet: Uint8Array, opts: { repeat?: number; program?: string } = {}) {
  const o = loadedObjectOf(obj);
  const p = o.program(opts.program);
  const run = () => obj.program(p.name).testRun(packet, { repeat: opts.repeat });
  return checked(o, p, packet, opts, run, (k) => [k.action, k.packet]);
}

/**
 * A test-run of `program` as `tsebpf run --pin` (or load({ pin })) pinned it under `dir`, loaded
 * from `file`, checked against the VM with the pinned maps. `live`: a reader (the run) drains the
 * log ring meanwhile, so how many records it could not take (TSEBPF_DROPS) is not compared.
 */
export function pinnedTestRun(
  file: string,
  dir: string,
  program: string,
  packet: Uint8Array,
  opts: TestRunOptions & { live?: boolean } = {},
): TestRunOutput {
  const model = readModel(readFileSync(file), file);
  const fds: number[] = [];
  const open = (name: string) => fds[fds.push(objGet(join(dir, pinName(name)))) - 1]!;
  try {
    const p = model.programs.find((x) => x.name === program);
    if (!p) throw new Error(`${file} has no program ${program}`);
    const handle = { name: p.name, section: p.section, fd: open(p.name) };
    const maps = model.maps.map((def) => new BpfMap(open(def.name), def, true));
    const o: LoadedObject = {
      ...{ model, programs: [handle], maps, btfFd: -1 },
      program: () => handle,
      map: (name) => maps.find((m) => m.name === name),
      close: () => undefined,
    };
    return testRunChecked(o, packet, { ...opts, uncompared: opts.live ? [DROPS_MAP] : [] });
  } finally {
    for (const fd of fds) closeFd(fd);
  }
}

/** The kernel object behind a library handle (BpfObject keeps it private; tests reach through). */
/** Runs `kernel` (a test-run of p) and the same packet in the VM twin, and fails unless both agree
 *  on the verdict, the output packet and the maps after the run. Returns the kernel's result. */
function checked<T>(
  o: LoadedObject,
  p: ProgramHandle,
  packet: Uint8Array,
  opts: CheckOptions,
  kernel: () => T,
  seenBy: (k: T) => [number, Uint8Array],
): T {
  const vm = packet.length <= MAX_PACKET && !p.section.startsWith("xdp.frags") ? twin(o, p.name, opts) : undefined;
  if (vm) syncMaps(o, vm);
  const k = kernel();
  if (!vm) {
    twinCounts.kernelOnly++;
    return k;
  }
  let v = vm.run(packet);
  for (let n = 1; n < (opts.repeat ?? 1); n++) v = vm.run(packet);
  const seen = (verdict: number, out: Uint8Array) => ({ verdict, packet: Buffer.from(out).toString("hex") });
  expect(seen(v.verdict, v.packet), `the VM's run of ${p.name}`).toEqual(seen(...seenBy(k)));
  const after = (side: "vm" | "kernel") => mapContents(vm, o, side, opts.uncompared ?? []);
  expect(after("vm"), `maps after the VM's run of ${p.name}`).toEqual(after("kernel"));
  for (const m of o.maps) if (m.def.type === MAP_TYPE.RINGBUF) vm.drainRing(m.name);
  twinCounts.compared++;
  return k;
}

/** The object's VM twin for a program and context (undefined when the VM refuses the object). */
function twin(o: LoadedObject, program: string, opts: TestRunOptions): XdpVm | undefined {
  let byKey = twins.get(o);
  if (!byKey) twins.set(o, (byKey = new Map()));
  const key = `${program}/${opts.ingressIfindex ?? 1}/${opts.rxQueueIndex ?? 0}`;
  let vm = byKey.get(key);
  if (vm === undefined) {
    try {
      vm = new XdpVm(o.model, { program, cpus: possibleCpus(), ...ctxOptions(opts) });
    } catch (e) {
      vm = (e as Error).message;
    }
    byKey.set(key, vm);
  }
  return typeof vm === "string" ? undefined : vm;
}

const ctxOptions = (o: TestRunOptions) => ({
  ingressIfindex: o.ingressIfindex ?? 1,
  rxQueueIndex: o.rxQueueIndex ?? 0,
});

/** Sets every VM map to the kernel map's contents (entries the kernel lacks are deleted). */
function syncMaps(o: LoadedObject, vm: XdpVm): void {
  const ids = new Map(o.programs.map((p) => [progInfo(p.fd).id, p.name]));
  for (const km of o.maps) {
    if (km.def.type === MAP_TYPE.PROG_ARRAY) {
      const pa = vm.progArray(km.name);
      pa.progs.fill(undefined);
      for (const [k, v] of km.entries()) pa.set(k.readUInt32LE(0), ids.get(v.readUInt32LE(0)));
      continue;
    }
    if (UNCOMPARED.has(km.def.type)) continue;
    const m = vm.map(km.name);
    for (const [k] of m.entries()) m.delete(k);
    for (const [k, v] of km.entries()) setEntry(m, km, k, v);
  }
}

function setEntry(m: VmMap, km: BpfMap, k: Uint8Array, v: Buffer): void {
  if (!PERCPU.has(km.def.type)) return void m.set(k, v);
  perCpuValues(v, km.def.valueSize).forEach((value, cpu) => m.update(k, value, 0, cpu));
}

/** key=value lines of every compared map, sorted (per-CPU values summed as u64 lanes). */
function mapContents(vm: XdpVm, o: LoadedObject, side: "vm" | "kernel", skip: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const km of o.maps) {
    if (UNCOMPARED.has(km.def.type) || skip.includes(km.name)) continue;
    const entries: [Uint8Array, Uint8Array[]][] =
      side === "vm"
        ? vm.map(km.name).entries()
        : [...km.entries()].map(([k, v]) => [k, PERCPU.has(km.def.type) ? perCpuValues(v, km.def.valueSize) : [v]]);
    out[km.name] = entries.map(([k, vals]) => `${hex(k)}=${line(vals, km.def.valueSize, km.def.type)}`).sort();
  }
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function line(values: Uint8Array[], size: number, type: number): string {
  return PERCPU.has(type) ? sumLanes(values, size) : hex(values[0]);
}

/** Per-CPU values summed as u64 lanes (the kernel ran on whichever CPU test-run chose). */
export function sumLanes(values: Uint8Array[], size: number): string {
  const out = Buffer.alloc(size);
  for (let o = 0; o + 8 <= size; o += 8)
    out.writeBigUInt64LE(values.reduce((s, v) => s + Buffer.from(v).readBigUInt64LE(o), 0n) & 0xffffffffffffffffn, o);
  return out.toString("hex");
}
