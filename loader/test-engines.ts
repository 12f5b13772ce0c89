// Where `tsebpf test` runs packets: takes object bytes and a program name, produces a TestEngine —
// the kernel (BPF_PROG_TEST_RUN) or the in-process VM — with the maps `--map` fills (prog arrays by
// program name), run() and the records the program wrote to its ring buffers.
// The kernel loader is imported on demand, so a machine where it cannot load (not Linux, no koffi)
// still reaches the VM; KernelUnavailable says why the kernel path is out (also bpf() → EPERM).
import type { LoadedMap, MapDef } from "../compiler/object.js";
import { withPrograms, type EntryMap } from "./map-codec.js";
import { isUserRing } from "./user-rings.js";
import type { LoadedObject } from "./object.js";
import { BpfError } from "./sys/errors.js";
import { ProgArrayMap, VmMapError } from "./vm/maps.js";
import { XdpVm } from "./vm/xdp.js";
import type { FibRoute } from "./vm/fib.js";
import type { GlobalValue } from "./globals.js";

export interface EngineRun {
  retval: number;
  dataOut: Uint8Array;
  /** Mean ns per run of the packet. */
  durationNs: number;
}

export interface TestEngine {
  kind: "kernel" | "vm";
  program: string;
  maps: EntryMap[];
  btf?: Uint8Array;
  run(packet: Uint8Array, repeat: number): EngineRun;
  /** The records the program wrote to its user ring buffers since the last call, per ring. */
  drainRecords(): RingDrain[];
  /** The value of each global data map (.rodata, .data, .bss…) now. */
  globals(): { def: LoadedMap; value: Uint8Array }[];
  close(): void;
}

export interface RingDrain {
  def: MapDef;
  records: Uint8Array[];
}

/** The kernel path cannot be used here; the message says why. */
export class KernelUnavailable extends Error {}

const EPERM = 1;
const ZERO_KEY = new Uint8Array(4);

export async function kernelEngine(
  file: string,
  bytes: Uint8Array,
  program: string | undefined,
  verbose: (n: string) => void,
  set?: Record<string, GlobalValue>,
): Promise<TestEngine> {
  if (process.platform !== "linux") throw new KernelUnavailable(`BPF needs Linux (this is ${process.platform})`);
  let mods: [typeof import("./object.js"), typeof import("./test-run.js"), typeof import("./records.js")];
  try {
    mods = await Promise.all([import("./object.js"), import("./test-run.js"), import("./records.js")]);
  } catch (e) {
    throw new KernelUnavailable(`the kernel loader does not load here (${(e as Error).message.split("\n")[0]})`);
  }
  const [{ loadObject }, { testRun }, { RecordRings }] = mods;
  let obj: LoadedObject;
  try {
    obj = loadObject(bytes, { verbose, source: file, set });
  } catch (e) {
    const err = e as { errno?: number; message: string };
    if (err.errno === EPERM)
      throw new KernelUnavailable(`the kernel refused BPF: ${err.message.replace(/\n\s*/g, "; ")}`);
    throw e;
  }
  try {
    const prog = obj.program(program);
    const o = obj;
    const rings = new RecordRings(o.maps);
    return {
      kind: "kernel",
      program: prog.name,
      maps: o.maps.map((m) => withPrograms(m, o)),
      btf: o.model.btf,
      run: (packet, repeat) => testRun(prog.fd, packet, { repeat }),
      drainRecords: () => rings.drain().map(([m, records]) => ({ def: m.def, records })),
      globals: () => o.maps.filter((m) => m.def.global).map((m) => ({ def: m.def, value: m.get(ZERO_KEY)! })),
      close: () => (rings.close(), o.close()),
    };
  } catch (e) {
    obj.close();
    throw e;
  }
}

export function vmEngine(
  file: string,
  bytes: Uint8Array,
  program: string | undefined,
  set?: Record<string, GlobalValue>,
  routes?: readonly FibRoute[],
): TestEngine {
  const vm = XdpVm.fromElf(bytes, { program, source: file, set, routes });
  const maps = vm.model.maps.map(
    (def): EntryMap => ({
      name: def.name,
      def,
      set(key, value) {
        const m = vm.maps.get(def.name);
        if (!m || !("lookup" in m)) throw new VmMapError(`--map ${def.name}: the VM fills hash and array maps only`);
        const r = m.set(key, value);
        if (r) throw new BpfError(`updating map '${def.name}' in the VM`, -r);
      },
      setProgram(index, name) {
        const m = vm.maps.get(def.name);
        if (!(m instanceof ProgArrayMap)) throw new VmMapError(`--map ${def.name}: not a prog array`);
        if (!vm.model.programs.some((p) => p.name === name))
          throw new VmMapError(`--map ${def.name}: no program named '${name}' in the object`);
        m.set(index, name);
      },
    }),
  );
  return {
    kind: "vm",
    program: vm.program,
    maps,
    btf: vm.model.btf,
    run(packet, repeat) {
      const t0 = process.hrtime.bigint();
      let r = vm.run(packet);
      for (let i = 1; i < repeat; i++) r = vm.run(packet);
      const ns = Number(process.hrtime.bigint() - t0) / repeat;
      return { retval: r.verdict, dataOut: r.packet, durationNs: Math.round(ns) };
    },
    drainRecords: () =>
      vm.model.maps
        .filter(isUserRing)
        .map((def) => ({ def, records: vm.drainRing(def.name) }))
        .filter((d) => d.records.length),
    globals: () =>
      vm.model.maps.filter((d) => d.global).map((def) => ({ def, value: vm.map(def.name).lookup(ZERO_KEY, 0)! })),
    close: () => {},
  };
}
