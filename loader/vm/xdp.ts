// The in-process XDP VM: takes a BPF object (ELF bytes or the reader's ObjectModel) and produces
// an XdpVm that runs one of its programs on packets as BPF_PROG_TEST_RUN does (256 bytes of
// headroom, a 4096-byte frame, the xdp_md context), with the object's maps (global data sections
// as libbpf's one-entry arrays, .rodata read-only to programs), a virtual clock, a
// seeded random generator and a chosen CPU; CO-RE relocations applied against the running kernel's
// BTF as the kernel loader applies them (core.ts). Never loads anything into the kernel.
import { RingRecords } from "./ring-records.js";
import { readBpfObject } from "../../compiler/elf/read-object.js";
import { objectName } from "../../compiler/elf/read-globals.js";
import type { GlobalData, LoadedProgram, ObjectModel, ProgramReloc } from "../../compiler/object.js";
import { PSEUDO } from "../../compiler/abi.js";
import { encodeInsns } from "../../compiler/isa/encode.js";
import { RelocError, relocateCalls, relocateMaps } from "../../compiler/link/relocate.js";
import { compile, MAX_FRAMES, VmCompileError, type HelperFn, type Machine, type Program } from "./compile.js";
import { helperName, xdpHelpers, type HelperState, type VmRedirect } from "./helpers.js";
import { XDP_ACTION } from "../../compiler/abi.js";
import { createMap, ProgArrayMap, type AnyMap, type VmMap } from "./maps.js";
import { execute } from "./machine.js";
import { Memory, VmFault, type Region } from "./memory.js";
import { mulberry32 } from "./random.js";
import { FibTable, type FibRoute } from "./fib.js";
import { coreRelocate, POISON_IMM } from "./core.js";
import { lo32, type Reg } from "./reg.js";
import { isXdpSection, notXdpMessage } from "../sections.js";
import { withGlobals, type GlobalValue } from "../globals.js";

const ZERO_KEY = new Uint8Array(4);

export const HEADROOM = 256,
  FRAME = 4096,
  MAX_PACKET = FRAME - HEADROOM - 320,
  STACK = 512;

export interface VmOptions {
  /** Which program of the object (default the first). */
  program?: string;
  /** Number of CPUs of per-CPU maps (default 1) and the CPU the program runs on (default 0). */
  cpus?: number;
  cpu?: number;
  /** Seed of bpf_get_prandom_u32 (default 1). */
  seed?: number;
  /** xdp_md fields. */
  ingressIfindex?: number;
  rxQueueIndex?: number;
  /** Instructions one run may execute before it is stopped (default 1,000,000). */
  insnLimit?: number;
  /** Global variables set before the run (`--set`): name → value. */
  set?: Readonly<Record<string, GlobalValue>>;
  /** The route table bpf_fib_lookup looks up (loader/vm/fib.ts; default none: NOT_FWDED). */
  routes?: readonly FibRoute[];
}

export interface ElfVmOptions extends VmOptions {
  /** The object's file: global data maps are named after it as libbpf names them ("fw.rodata"). */
  source?: string;
}

export interface VmResult {
  /** r0 (the XDP action), as test-run reports it. */
  verdict: number;
  /** The packet from data to data_end after the run. */
  packet: Uint8Array;
  /** Instructions executed. */
  insns: number;
  /** Where the program's last bpf_redirect/bpf_redirect_map sent the packet (verdict XDP_REDIRECT). */
  redirect?: VmRedirect;
}

export class XdpVm {
  /** The name of the program run() runs. */
  readonly program: string;
  readonly maps = new Map<string, AnyMap>();
  /** The virtual clock bpf_ktime_get_ns reads; tests move it. */
  readonly clock = { ns: 0n };
  private readonly mem = new Memory();
  private readonly code: Program;
  private readonly machine: Machine;
  private readonly state: HelperState;
  private readonly ctx: Region;
  private readonly limit: number;
  private readonly mapRegions = new Map<Region, AnyMap>();
  private readonly compiled = new Map<string, Program>();
  private readonly handles: Region[];
  private readonly helpers: Map<number, HelperFn>;
  private readonly valueRegions = new WeakMap<Uint8Array, Region>();

  readonly model: ObjectModel;

  constructor(model: ObjectModel, opts: VmOptions = {}) {
    this.model = model = opts.set ? withGlobals(model, opts.set) : model;
    const prog = chooseProgram(model, opts.program);
    this.program = prog.name;
    const cpus = opts.cpus ?? 1;
    this.handles = model.maps.map((def) => {
      const m = createMap(def, cpus);
      this.maps.set(def.name, m);
      for (const { index, program } of def.progInit ?? []) (m as ProgArrayMap).set(index, program);
      if (def.global) this.globalRegion(m as VmMap, def.global);
      const r = this.mem.add(`map ${def.name}`, new Uint8Array(0));
      this.mapRegions.set(r, m);
      return r;
    });
    const packet = this.mem.add("packet", new Uint8Array(FRAME));
    this.state = {
      mem: this.mem,
      packet,
      data: HEADROOM,
      reshaped: false,
      clock: this.clock,
      random: mulberry32(opts.seed ?? 1),
      cpu: opts.cpu ?? 0,
      mapOf: (r) => (r ? this.mapRegions.get(r) : undefined),
      compiled: (name) => this.compiledProgram(name),
      tailCalls: 0,
      redirect: undefined,
      fib: new FibTable(opts.routes ?? []),
      valuePtr: (m, v) => this.mem.ptr(this.valueRegion(m, v), 0),
      records: new RingRecords(this.mem),
    };
    this.ctx = this.mem.add("xdp_md", new Uint8Array(24), {
      writable: false,
      hooks: { load: (off, size, insn) => this.ctxLoad(off, size, insn, opts) },
    });
    const stacks = Array.from({ length: MAX_FRAMES }, (_, d) =>
      this.mem.add(d ? `stack (frame ${d})` : "stack", new Uint8Array(STACK), { origin: STACK }),
    );
    const init = new Array<Reg>(11).fill(0);
    init[1] = this.mem.ptr(this.ctx, 0);
    init[10] = this.mem.ptr(stacks[0], STACK);
    const r = new Array<Reg>(11).fill(0);
    this.machine = { init, r, mem: this.mem, frames: [], stacks, n: 0, limit: 0, tail: null };
    this.limit = opts.insnLimit ?? 1_000_000;
    this.helpers = xdpHelpers(this.state);
    this.code = this.compiledProgram(prog.name);
  }

  static fromElf(bytes: Uint8Array, opts: ElfVmOptions = {}): XdpVm {
    return new XdpVm(readBpfObject(bytes, opts.source ? { name: objectName(opts.source) } : {}), opts);
  }

  /** Run the program on one packet (14..3520 bytes, as test-run accepts). */
  run(packet: Uint8Array): VmResult {
    if (packet.length < 14 || packet.length > MAX_PACKET)
      throw new RangeError(`packet of ${packet.length} bytes: test-run takes 14..${MAX_PACKET}`);
    const s = this.state,
      p = s.packet;
    const end = HEADROOM + packet.length;
    // A zeroed frame around the packet: only the last run's bytes beyond it need clearing.
    if (s.reshaped) p.bytes.fill(0);
    else if (p.hi > end) p.bytes.fill(0, end, p.hi);
    s.reshaped = false;
    p.bytes.set(packet, HEADROOM);
    s.data = p.origin = p.lo = HEADROOM;
    p.hi = end;
    const m = this.machine;
    if (m.frames.length) m.frames.length = 0;
    s.tailCalls = 0;
    s.redirect = undefined;
    const insns = execute(this.code, m, this.limit);
    const verdict = lo32(m.r[0]),
      out = p.bytes.slice(s.data, p.hi);
    return verdict === XDP_ACTION.REDIRECT && s.redirect
      ? { verdict, packet: out, insns, redirect: s.redirect }
      : { verdict, packet: out, insns };
  }

  /** The key/value map `name` (throws for unknown names and ring buffers). */
  map(name: string): VmMap {
    const m = this.maps.get(name);
    if (!m || !("lookup" in m)) throw new Error(`no key/value map named '${name}'`);
    return m;
  }

  /** The records waiting in ring buffer `name` (empty when the object has no such ring). */
  drainRing(name: string): Uint8Array[] {
    const m = this.maps.get(name);
    return m && "drain" in m ? m.drain() : [];
  }

  /** The prog array `name` (bpf_tail_call targets, set by program name). */
  progArray(name: string): ProgArrayMap {
    const m = this.maps.get(name);
    if (!(m instanceof ProgArrayMap)) throw new Error(`no prog array named '${name}'`);
    return m;
  }

  /** A program of the object, compiled once. */
  private compiledProgram(name: string): Program {
    let code = this.compiled.get(name);
    if (!code) {
      const p = this.model.programs.find((x) => x.name === name);
      if (!p) throw new VmCompileError(`no program named '${name}'`);
      const globalPtr = (map: number, off: number) => {
        const m = this.mapRegions.get(this.handles[map]!) as VmMap;
        return this.mem.ptr(this.valueRegion(m, m.lookup(ZERO_KEY, 0)!), off);
      };
      const env = { mem: this.mem, handles: this.handles, helpers: this.helpers, globalPtr };
      this.compiled.set(name, (code = compileProgram(p, this.model, env)));
    }
    return code;
  }

  /** A global data map holds its section's contents; programs (through BPF_PSEUDO_MAP_VALUE or a
   * lookup) get its one value, read-only for .rodata (BPF_F_RDONLY_PROG). */
  private globalRegion(m: VmMap, g: GlobalData): void {
    m.set(ZERO_KEY, g.init);
    const v = m.lookup(ZERO_KEY, 0)!;
    this.valueRegions.set(v, this.mem.add(m.def.name, v, { writable: g.kind !== "rodata" }));
  }

  private valueRegion(m: VmMap, v: Uint8Array): Region {
    let r = this.valueRegions.get(v);
    if (!r) this.valueRegions.set(v, (r = this.mem.add(`value of ${m.def.name}`, v)));
    return r;
  }

  /** xdp_md loads: data/data_end/data_meta give packet pointers, as the kernel's ctx rewrite does. */
  private ctxLoad(off: number, size: number, insn: number, o: VmOptions): Reg {
    if (size !== 4 || off < 0 || off > 20 || off % 4)
      throw new VmFault(`invalid access to xdp_md: ${size} bytes at offset ${off} (fields are 4 bytes at 0..20)`, insn);
    const p = this.state.packet;
    switch (off) {
      case 0:
        return this.mem.ptr(p, this.state.data);
      case 4:
        return this.mem.ptr(p, p.hi);
      case 8:
        return this.mem.ptr(p, p.lo);
      case 12:
        return (o.ingressIfindex ?? 1) >>> 0;
      case 16:
        return (o.rxQueueIndex ?? 0) >>> 0;
      default:
        return 0;
    }
  }
}

/** The named XDP program, or the first; the kernel loader's choice and messages. */
function chooseProgram(model: ObjectModel, name: string | undefined): LoadedProgram {
  const xdp = model.programs.filter((p) => isXdpSection(p.section));
  const p = name ? xdp.find((x) => x.name === name) : xdp[0];
  if (p) return p;
  const other = name ? model.programs.find((x) => x.name === name) : model.programs[0];
  if (other) throw new VmCompileError(notXdpMessage(other));
  throw new VmCompileError(
    name
      ? `no program named '${name}' (have: ${xdp.map((x) => x.name).join(", ") || "none"})`
      : "the object has no programs",
  );
}

interface ProgramEnv {
  mem: Memory;
  handles: Region[];
  helpers: Map<number, HelperFn>;
  /** A pointer `off` bytes into the value of global data map number `map`. */
  globalPtr(map: number, off: number): Reg;
}

/** ld_imm64 map relocations become pointers to the map's handle region, global data relocations
 * (BPF_PSEUDO_MAP_VALUE) pointers into the map's value. */
function compileProgram(p: LoadedProgram, model: ObjectModel, env: ProgramEnv): Program {
  const linked = relocateCalls(p, model.functions ?? []);
  const relocated = new Set<number>();
  const handleOf = (r: ProgramReloc): number => {
    const section = r.data?.section;
    const idx = section
      ? model.maps.findIndex((m) => m.global?.section === section)
      : env.handles.findIndex((h) => h.name === `map ${r.symbol}`);
    if (idx < 0)
      throw new VmCompileError(
        section
          ? `insn ${r.slot}: '${r.symbol}' is in section ${section}, which has no global data map`
          : `insn ${r.slot}: '${r.symbol}' is not a map of this object`,
      );
    relocated.add(r.slot);
    return idx;
  };
  let encoded: Uint8Array;
  try {
    encoded = encodeInsns(relocateMaps(linked.insns, linked.relocs, handleOf));
  } catch (e) {
    throw e instanceof RelocError ? new VmCompileError(e.message) : e;
  }
  const { code, poison } = coreRelocate(encoded, linked, model.btf);
  return compile(
    code,
    {
      helper: (id) => (poison && id === POISON_IMM ? poison : env.helpers.get(id)),
      helperName,
      pseudo: (i, slot) => {
        if (relocated.has(slot) && i.src === PSEUDO.MAP_FD) return env.mem.ptr(env.handles[i.imm]!, 0);
        if (relocated.has(slot) && i.src === PSEUDO.MAP_VALUE)
          return env.globalPtr(i.imm, Number(BigInt.asUintN(64, i.imm64!) >> 32n));
        throw new VmCompileError(`insn ${slot}: ld_imm64 with pseudo source ${i.src} is not supported by the VM`);
      },
    },
    env.mem,
  );
}
