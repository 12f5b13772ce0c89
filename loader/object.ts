// Loads a BPF object into the kernel: takes ELF bytes (via the ELF reader) or an ObjectModel,
// produces a LoadedObject with program and map fds. Steps: BTF_LOAD (optional), MAP_CREATE (global
// data maps filled with their section and .rodata frozen, as libbpf does),
// relocation (compiler/link/relocate.ts: calls linked, ld_imm64 map loads pointed at the fds),
// CO-RE relocations (core-relo.ts), PROG_LOAD type XDP with func/line info and a verifier log on
// failure. Only programs in XDP sections are loaded as XDP (sections.ts).
import type {
  GlobalData,
  LinkedProgram,
  LoadedMap,
  LoadedProgram,
  ObjectModel,
  ProgramReloc,
} from "../compiler/object.js";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { mapTakesBtf, PROG_FLAG } from "../compiler/abi.js";
import { objectName } from "../compiler/elf/read-globals.js";
import { ElfFormatError } from "../compiler/elf/bytes.js";
import { encodeInsns } from "../compiler/isa/encode.js";
import { RelocError, relocateCalls, relocateMaps } from "../compiler/link/relocate.js";
import { parseBtf, type ParsedBtf } from "../compiler/elf/btf.js";
import { applyCoreRelocations, explainPoison } from "./core-relo.js";
import { btfLoadRaw, mapCreateRaw, mapFreeze, progLoadRaw, PROG_TYPE_XDP, ATTACH_TYPE_XDP } from "./sys/bpf.js";
import { BpfError, hintFor } from "./sys/errors.js";
import { closeFd } from "./sys/libc.js";
import { BpfMap, u32le } from "./map.js";
import { VerifierError, verifierError } from "./verifier.js";
import { isFragsSection, isXdpSection, notXdpMessage } from "./sections.js";
import { LoaderError } from "./errors.js";
import { withGlobals, type GlobalValue } from "./globals.js";
import { reusePinnedMap } from "./pin.js";

export interface LoadOptions {
  /** Called with notes such as "kernel rejected BTF; loading without it". */
  verbose?: (note: string) => void;
  /** Load only these programs (by name); default all. */
  only?: string[];
  /** Program type; default XDP. */
  progType?: number;
  /** Where the bytes came from (a file name), for error messages. */
  source?: string;
  /** A pin directory: maps already pinned there by name are reused when they match (loader/pin.ts). */
  pin?: string;
  /** Global variables set before the maps are created (loader/globals.ts): name → value. */
  set?: Readonly<Record<string, GlobalValue>>;
}

export interface ProgramHandle {
  name: string;
  section: string;
  fd: number;
}

export interface LoadedObject {
  model: ObjectModel;
  programs: ProgramHandle[];
  maps: BpfMap[];
  btfFd: number;
  program(name?: string): ProgramHandle;
  map(name: string): BpfMap | undefined;
  close(): void;
}

export function loadObject(bytes: Uint8Array, opts: LoadOptions = {}): LoadedObject {
  return loadModel(readModel(bytes, opts.source), opts);
}

/** Parse an object; a malformed one is a LoaderError naming `source` and the offset. Global data
 * maps are named after the file as libbpf names them ("firewall.rodata" for firewall.bpf.o). */
export function readModel(bytes: Uint8Array, source?: string): ObjectModel {
  try {
    return readBpfObject(bytes, source === undefined ? {} : { name: objectName(source) });
  } catch (e) {
    if (e instanceof ElfFormatError)
      throw new LoaderError("bad-object", source ?? "object", `not a valid BPF object: ${e.message}`, undefined, {
        cause: e,
      });
    throw e;
  }
}

export function loadModel(model: ObjectModel, opts: LoadOptions = {}): LoadedObject {
  if (opts.set) model = withGlobals(model, opts.set);
  const fds: number[] = [];
  const obj: LoadedObject = {
    model,
    programs: [],
    maps: [],
    btfFd: -1,
    program(name) {
      const p = name ? this.programs.find((x) => x.name === name) : this.programs[0];
      const other = name && model.programs.find((x) => x.name === name);
      if (!p && other) throw new LoaderError("not-xdp", "", notXdpMessage(other));
      if (!p)
        throw new LoaderError(
          "no-program",
          "",
          name
            ? `no program named '${name}' (have: ${this.programs.map((x) => x.name).join(", ") || "none"})`
            : "the object has no programs",
        );
      return p;
    },
    map(name) {
      return this.maps.find((m) => m.name === name);
    },
    close() {
      for (const fd of fds.splice(0)) closeFd(fd);
    },
  };
  const wanted = model.programs.filter((p) => !opts.only || opts.only.includes(p.name));
  const loadable =
    opts.progType === undefined || opts.progType === PROG_TYPE_XDP
      ? wanted.filter((p) => isXdpSection(p.section))
      : wanted;
  if (wanted.length && !loadable.length) throw new LoaderError("not-xdp", "", notXdpMessage(wanted[0]));
  try {
    obj.btfFd = loadBtf(model, opts);
    if (obj.btfFd >= 0) fds.push(obj.btfFd);
    for (const def of model.maps) {
      const m = createMap(def, obj.btfFd, opts);
      fds.push(m.fd);
      obj.maps.push(m);
    }
    for (const p of loadable) {
      const fd = loadProgram(p, model, obj, opts);
      fds.push(fd);
      obj.programs.push({ name: p.name, section: p.section, fd });
    }
    fillProgArrays(model, obj);
    return obj;
  } catch (e) {
    obj.close();
    throw e;
  }
}

/** Prog arrays the object initialises statically (LoadedMap.progInit): each program's fd at its
 * index, as libbpf fills them at load time. */
function fillProgArrays(model: ObjectModel, obj: LoadedObject): void {
  const u32 = (v: number) => Uint8Array.from(Buffer.from(Uint32Array.of(v).buffer));
  for (const def of model.maps)
    for (const { index, program } of def.progInit ?? []) {
      const p = obj.programs.find((x) => x.name === program);
      if (!p)
        throw new LoaderError(
          "no-program",
          `initialising prog array '${def.name}'`,
          `program '${program}' is not loaded`,
        );
      obj.maps.find((m) => m.name === def.name)!.set(u32(index), u32(p.fd));
    }
}

function loadBtf(model: ObjectModel, opts: LoadOptions): number {
  if (!model.btf?.length) return -1;
  // without a log first (the kernel's log of a valid BTF is work for nothing); again with one to
  // say why it was rejected
  let fd = btfLoadRaw(model.btf);
  if (fd >= 0) return fd;
  if (fd === -1 /* EPERM */) throw new BpfError("loading BTF", 1, hintFor(1));
  const log = Buffer.alloc(64 * 1024);
  fd = btfLoadRaw(model.btf, log);
  if (fd >= 0) return fd;
  const last = log.toString("utf8").replace(/\0.*$/s, "").trim().split("\n").pop();
  opts.verbose?.(`note: the kernel rejected the object's BTF (${last || `errno ${-fd}`}); loading without BTF`);
  return -1;
}

function createMap(def: LoadedMap, btfFd: number, opts: LoadOptions): BpfMap {
  const pinned = opts.pin === undefined ? undefined : reusePinnedMap(opts.pin, def);
  if (pinned !== undefined) {
    opts.verbose?.(`note: map ${def.name}: reusing the map pinned in ${opts.pin}`);
    return new BpfMap(pinned, def, true);
  }
  const base = {
    type: def.type,
    keySize: def.keySize,
    valueSize: def.valueSize,
    maxEntries: def.maxEntries,
    flags: def.flags,
    name: def.name,
  };
  const withBtf =
    btfFd >= 0 && mapTakesBtf(def.type) && def.btfKeyTypeId !== undefined && def.btfValueTypeId !== undefined;
  let fd = withBtf
    ? mapCreateRaw({ ...base, btfFd, btfKeyTypeId: def.btfKeyTypeId, btfValueTypeId: def.btfValueTypeId })
    : -1;
  if (withBtf && fd < 0)
    opts.verbose?.(`note: map ${def.name}: the kernel rejected its BTF types; creating it without them`);
  if (fd < 0) fd = mapCreateRaw(base);
  if (fd < 0)
    throw new BpfError(
      `creating map '${def.name}' (type ${def.type}, key ${def.keySize} B, value ${def.valueSize} B, ${def.maxEntries} entries)`,
      -fd,
      hintFor(-fd),
    );
  const map = new BpfMap(fd, def);
  if (def.global) fillGlobal(map, def.global);
  return map;
}

/** A global data map gets its section's contents; .rodata is then frozen (as libbpf does before
 * loading programs, so the verifier may treat its values as constants). */
function fillGlobal(map: BpfMap, g: GlobalData): void {
  try {
    map.set(u32le(0), g.init);
    if (g.kind === "rodata") mapFreeze(map.fd, map.name);
  } catch (e) {
    closeFd(map.fd);
    throw e;
  }
}

/** The program as the kernel loads it: the functions it calls linked in (relocateCalls), its map
 * loads pointing at this object's map fds (relocateMaps), encoded. */
export function relocate(
  p: LoadedProgram,
  model: ObjectModel,
  obj: Pick<LoadedObject, "maps">,
): { linked: LinkedProgram; insns: Buffer } {
  const linked = relocateCalls(p, model.functions ?? []);
  try {
    return {
      linked,
      insns: Buffer.from(encodeInsns(relocateMaps(linked.insns, linked.relocs, (r) => mapFd(p.name, r, obj)))),
    };
  } catch (e) {
    throw e instanceof RelocError ? new LoaderError("relocation", `program ${p.name}`, e.message) : e;
  }
}

function mapFd(prog: string, r: ProgramReloc, obj: Pick<LoadedObject, "maps">): number {
  const section = r.data?.section;
  const m = obj.maps.find((x) => (section ? x.def.global?.section === section : x.name === r.symbol));
  if (!m && section)
    throw new LoaderError(
      "relocation",
      `program ${prog}`,
      `instruction ${r.slot} uses '${r.symbol}' in section ${section}, which has no global data map`,
    );
  if (!m)
    throw new LoaderError(
      "relocation",
      `program ${prog}`,
      `instruction ${r.slot} refers to '${r.symbol}', which is not a map in this object`,
    );
  return m.fd;
}

/** BTF.ext records as the kernel reads them: one row of little-endian u32 columns per record. */
function packRows<T>(rows: readonly T[] | undefined, cols: (r: T) => number[]): Buffer | undefined {
  if (!rows?.length) return undefined;
  const n = cols(rows[0]!).length;
  const b = Buffer.alloc(rows.length * n * 4);
  rows.forEach((r, i) => cols(r).forEach((v, j) => b.writeUInt32LE(v, (i * n + j) * 4)));
  return b;
}

const packFuncInfo = (p: LoadedProgram): Buffer | undefined =>
  packRows(p.btfExt?.funcInfo, (r) => [r.insnOff, r.typeId]);
const packLineInfo = (p: LoadedProgram): Buffer | undefined =>
  packRows(p.btfExt?.lineInfo, (r) => [
    r.insnOff,
    r.fileNameOff,
    r.lineOff,
    (((r.line & 0x3fffff) << 10) | (r.col & 0x3ff)) >>> 0,
  ]);

const parsedBtf = new WeakMap<ObjectModel, ParsedBtf>();
/** The object's own BTF, parsed once (CO-RE relocations are computed against it). */
function localBtf(model: ObjectModel): ParsedBtf | undefined {
  if (!model.btf?.length) return undefined;
  const known = parsedBtf.get(model);
  if (known) return known;
  const btf = parseBtf(model.btf);
  parsedBtf.set(model, btf);
  return btf;
}

function loadProgram(p: LoadedProgram, model: ObjectModel, obj: LoadedObject, opts: LoadOptions): number {
  const { linked, insns } = relocate(p, model, obj);
  const poisoned = linked.btfExt?.coreRelo ? applyCoreRelocations(insns, linked, localBtf(model)) : [];
  const btf =
    obj.btfFd >= 0 ? { btfFd: obj.btfFd, funcInfo: packFuncInfo(linked), lineInfo: packLineInfo(linked) } : {};
  const type = opts.progType ?? PROG_TYPE_XDP;
  const progFlags = type === PROG_TYPE_XDP && isFragsSection(p.section) ? PROG_FLAG.XDP_HAS_FRAGS : 0;
  const base = { type, insns, license: model.license || "GPL", name: p.name, progFlags };
  const attempt = (extra: object, log?: Buffer) =>
    progLoadRaw({ ...base, ...extra, ...(log ? { logBuf: log, logLevel: 1 } : {}) });
  const expected = base.type === PROG_TYPE_XDP ? { expectedAttachType: ATTACH_TYPE_XDP } : {};
  let fd = attempt({ ...expected, ...btf });
  if (fd >= 0) return fd;
  if (fd === -22 && base.type === PROG_TYPE_XDP) {
    fd = attempt(btf); // older kernels: no expected_attach_type for XDP
    if (fd >= 0) return fd;
  }
  // Failed: load again with a verifier log (growing it on ENOSPC) to explain why.
  let { fd: fd2, log } = withLog((b) => attempt({ ...expected, ...btf }, b));
  if (fd2 >= 0) return fd2;
  if (btf.btfFd !== undefined && /func_info|line_info|BTF|btf/.test(log.split("\n").slice(-3).join("\n"))) {
    opts.verbose?.(`note: program ${p.name}: the kernel rejected its func/line info; loading without it`);
    ({ fd: fd2, log } = withLog((b) => attempt(expected, b)));
    if (fd2 >= 0) return fd2;
  }
  throw explainPoison(verifierError(p.name, -fd2, log), log, poisoned);
}

function withLog(load: (log: Buffer) => number): { fd: number; log: string } {
  for (let size = 1 << 20; ; size *= 4) {
    const buf = Buffer.alloc(size);
    const fd = load(buf);
    const end = buf.indexOf(0); // the log ends at its NUL: decode that much, not the whole buffer
    const log = buf.toString("utf8", 0, end < 0 ? buf.length : end);
    if (fd === -28 /* ENOSPC */ && size < 1 << 28) continue;
    return { fd, log };
  }
}

export { VerifierError };
