// One typed wrapper per bpf() command the loader uses. Each builds `union bpf_attr` (layouts from
// the kernel UAPI linux/bpf.h) in a Buffer and calls syscall(SYS_bpf); failures throw BpfError.
import { addr, lastErrno, libc, SYS_bpf } from "./libc.js";
import { BpfError, hintFor } from "./errors.js";
import { ATTACH_TYPE, PROG_TYPE, UPDATE } from "../../compiler/abi.js";
import { readlinkSync } from "node:fs";

export const CMD = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  OBJ_PIN: 6,
  OBJ_GET: 7,
  PROG_TEST_RUN: 10,
  PROG_GET_NEXT_ID: 11,
  MAP_GET_NEXT_ID: 12,
  PROG_GET_FD_BY_ID: 13,
  MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15,
  BTF_LOAD: 18,
  BTF_GET_FD_BY_ID: 19,
  MAP_FREEZE: 22,
  MAP_LOOKUP_BATCH: 24,
  MAP_UPDATE_BATCH: 26,
  LINK_CREATE: 28,
  LINK_UPDATE: 29,
  LINK_DETACH: 34,
} as const;

export const PROG_TYPE_XDP = PROG_TYPE.XDP;
export const ATTACH_TYPE_XDP = ATTACH_TYPE.XDP;
export const ATTR_SIZE = 144;

/** Raw call: returns the result or -errno. */
export function bpfRaw(cmd: number, attr: Buffer): number {
  const r = Number(libc.syscall(SYS_bpf, cmd, attr, attr.length));
  return r < 0 ? -lastErrno() : r;
}

function bpf(cmd: number, attr: Buffer, context: string): number {
  const r = bpfRaw(cmd, attr);
  if (r < 0) throw new BpfError(context, -r, hintFor(-r));
  return r;
}

function attrBuf(): Buffer {
  return Buffer.alloc(ATTR_SIZE);
}

function cstr(s: string): Buffer {
  return Buffer.from(s + "\0", "utf8");
}

export interface MapCreateAttr {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name?: string;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
}

function mapCreateAttr(a: MapCreateAttr): Buffer {
  const b = attrBuf();
  b.writeUInt32LE(a.type, 0);
  b.writeUInt32LE(a.keySize, 4);
  b.writeUInt32LE(a.valueSize, 8);
  b.writeUInt32LE(a.maxEntries, 12);
  b.writeUInt32LE(a.flags ?? 0, 16);
  if (a.name) Buffer.from(a.name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 15)).copy(b, 28);
  if (a.btfFd !== undefined && a.btfFd >= 0) {
    b.writeUInt32LE(a.btfFd, 48);
    b.writeUInt32LE(a.btfKeyTypeId ?? 0, 52);
    b.writeUInt32LE(a.btfValueTypeId ?? 0, 56);
  }
  return b;
}

export function mapCreateRaw(a: MapCreateAttr): number {
  return bpfRaw(CMD.MAP_CREATE, mapCreateAttr(a));
}

export function mapCreate(a: MapCreateAttr): number {
  return bpf(CMD.MAP_CREATE, mapCreateAttr(a), `creating map ${a.name ?? ""}`.trim());
}

function elemAttr(fd: number, key: Uint8Array | null, value: Uint8Array | null, flags = 0): Buffer {
  const b = attrBuf();
  b.writeUInt32LE(fd, 0);
  b.writeBigUInt64LE(addr(key), 8);
  b.writeBigUInt64LE(addr(value), 16);
  b.writeBigUInt64LE(BigInt(flags), 24);
  return b;
}

/** The value for `key`, or undefined when absent (ENOENT). */
export function mapLookup(fd: number, key: Uint8Array, valueSize: number): Buffer | undefined {
  const value = Buffer.alloc(valueSize);
  const r = bpfRaw(CMD.MAP_LOOKUP_ELEM, elemAttr(fd, key, value));
  if (r === -2) return undefined;
  if (r < 0) throw new BpfError("map lookup", -r, hintFor(-r));
  return value;
}

export const BPF_ANY = UPDATE.ANY,
  BPF_NOEXIST = UPDATE.NOEXIST,
  BPF_EXIST = UPDATE.EXIST;

export function mapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags = BPF_ANY): void {
  bpf(CMD.MAP_UPDATE_ELEM, elemAttr(fd, key, value, flags), "map update");
}

/** BPF_MAP_FREEZE: no more writes from user space (libbpf freezes .rodata before loading programs). */
export function mapFreeze(fd: number, name: string): void {
  const b = attrBuf();
  b.writeUInt32LE(fd, 0);
  bpf(CMD.MAP_FREEZE, b, `freezing map '${name}'`);
}

/** Returns false when the key was absent. */
export function mapDelete(fd: number, key: Uint8Array): boolean {
  const r = bpfRaw(CMD.MAP_DELETE_ELEM, elemAttr(fd, key, null));
  if (r === -2) return false;
  if (r < 0) throw new BpfError("map delete", -r, hintFor(-r));
  return true;
}

/** The key after `key` (the first key when key is null), or undefined at the end. */
export function mapNextKey(fd: number, key: Uint8Array | null, keySize: number): Buffer | undefined {
  const next = Buffer.alloc(keySize);
  const r = bpfRaw(CMD.MAP_GET_NEXT_KEY, elemAttr(fd, key, next));
  if (r === -2) return undefined;
  if (r < 0) throw new BpfError("map next key", -r, hintFor(-r));
  return next;
}

function batchAttr(fd: number, keys: Buffer, values: Buffer, count: number, tokens?: [Buffer | null, Buffer]): Buffer {
  const b = attrBuf();
  if (tokens) {
    b.writeBigUInt64LE(addr(tokens[0]), 0);
    b.writeBigUInt64LE(addr(tokens[1]), 8);
  }
  b.writeBigUInt64LE(addr(keys), 16);
  b.writeBigUInt64LE(addr(values), 24);
  b.writeUInt32LE(count, 32);
  b.writeUInt32LE(fd, 36);
  return b;
}

/**
 * MAP_UPDATE_BATCH: `count` keys and values packed back to back. Returns how many were written, or
 * -errno (EINVAL/ENOTSUPP: the map type has no batch operations; the caller writes one by one).
 */
export function mapUpdateBatchRaw(fd: number, keys: Buffer, values: Buffer, count: number): number {
  const b = batchAttr(fd, keys, values, count);
  const r = bpfRaw(CMD.MAP_UPDATE_BATCH, b);
  keep(keys, values);
  return r < 0 ? r : b.readUInt32LE(32);
}

/**
 * MAP_LOOKUP_BATCH: up to `count` entries after the position `token` holds (null: from the start)
 * into `keys`/`values`; `next` receives the position to continue from. Returns { n, done } or -errno
 * (EINVAL/ENOTSUPP: no batch lookup for this map type).
 */
export function mapLookupBatchRaw(
  fd: number,
  token: Buffer | null,
  next: Buffer,
  keys: Buffer,
  values: Buffer,
  count: number,
): { n: number; done: boolean } | number {
  const b = batchAttr(fd, keys, values, count, [token, next]);
  const r = bpfRaw(CMD.MAP_LOOKUP_BATCH, b);
  keep(token, next, keys, values);
  if (r < 0 && r !== -2) return r;
  return { n: b.readUInt32LE(32), done: r === -2 };
}

export interface ProgLoadAttr {
  type: number;
  insns: Uint8Array;
  license: string;
  name?: string;
  expectedAttachType?: number;
  /** BPF_F_* load flags (prog_flags), e.g. PROG_FLAG.XDP_HAS_FRAGS. */
  progFlags?: number;
  logLevel?: number;
  logBuf?: Buffer;
  btfFd?: number;
  funcInfo?: Buffer; // packed bpf_func_info records (8 bytes each)
  lineInfo?: Buffer; // packed bpf_line_info records (16 bytes each)
}

/** PROG_LOAD; returns fd or -errno (callers read the verifier log and build their own error). */
export function progLoadRaw(a: ProgLoadAttr): number {
  const b = attrBuf();
  const insns = Buffer.from(a.insns);
  const license = cstr(a.license);
  b.writeUInt32LE(a.type, 0);
  b.writeUInt32LE(insns.length / 8, 4);
  b.writeBigUInt64LE(addr(insns), 8);
  b.writeBigUInt64LE(addr(license), 16);
  if (a.logBuf) {
    b.writeUInt32LE(a.logLevel ?? 1, 24);
    b.writeUInt32LE(a.logBuf.length, 28);
    b.writeBigUInt64LE(addr(a.logBuf), 32);
  }
  b.writeUInt32LE(a.progFlags ?? 0, 44);
  if (a.name) Buffer.from(a.name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 15)).copy(b, 48);
  b.writeUInt32LE(a.expectedAttachType ?? 0, 68);
  if (a.btfFd !== undefined && a.btfFd >= 0) {
    b.writeUInt32LE(a.btfFd, 72);
    if (a.funcInfo?.length) {
      b.writeUInt32LE(8, 76);
      b.writeBigUInt64LE(addr(a.funcInfo), 80);
      b.writeUInt32LE(a.funcInfo.length / 8, 88);
    }
    if (a.lineInfo?.length) {
      b.writeUInt32LE(16, 92);
      b.writeBigUInt64LE(addr(a.lineInfo), 96);
      b.writeUInt32LE(a.lineInfo.length / 16, 104);
    }
  }
  // The verifier gives up with EAGAIN when a signal arrives while it works (a profiler's SIGPROF, a
  // terminal's SIGWINCH): try again, as libbpf does (it tries 5 times; 10 here, for busy machines).
  let r = bpfRaw(CMD.PROG_LOAD, b);
  for (let i = 1; r === -EAGAIN && i < PROG_LOAD_ATTEMPTS; i++) r = bpfRaw(CMD.PROG_LOAD, b);
  keep(insns, license, a.logBuf, a.funcInfo, a.lineInfo);
  return r;
}

const EAGAIN = 11; // on every architecture node runs on (node:os would cost ½ ms of start-up to say so)
const PROG_LOAD_ATTEMPTS = 10;

/** BTF_LOAD; returns fd or -errno, filling `log` when given. */
export function btfLoadRaw(btf: Uint8Array, log?: Buffer): number {
  const b = attrBuf();
  const data = Buffer.from(btf);
  b.writeBigUInt64LE(addr(data), 0);
  b.writeUInt32LE(data.length, 16);
  if (log) {
    b.writeBigUInt64LE(addr(log), 8);
    b.writeUInt32LE(log.length, 20);
    b.writeUInt32LE(1, 24);
  }
  const r = bpfRaw(CMD.BTF_LOAD, b);
  keep(data, log);
  return r;
}

export function objPin(fd: number, path: string): void {
  const b = attrBuf();
  const p = cstr(path);
  b.writeBigUInt64LE(addr(p), 0);
  b.writeUInt32LE(fd, 8);
  const r = bpfRaw(CMD.OBJ_PIN, b);
  keep(p);
  if (r < 0) {
    const hint =
      r === -17
        ? "remove the old pin first (rm it) or choose another --pin directory"
        : "the directory must be on a bpf filesystem (mount -t bpf bpf /sys/fs/bpf), and pinning needs root";
    throw new BpfError(`pinning to ${path}`, -r, hint);
  }
}

export function objGet(path: string): number {
  const b = attrBuf();
  const p = cstr(path);
  b.writeBigUInt64LE(addr(p), 0);
  const fd = bpf(CMD.OBJ_GET, b, `opening pinned object ${path}`);
  keep(p);
  return fd;
}

/** LINK_CREATE for XDP; returns link fd or -errno. */
export function linkCreateRaw(progFd: number, ifindex: number, attachType: number, flags: number): number {
  const b = attrBuf();
  b.writeUInt32LE(progFd, 0);
  b.writeUInt32LE(ifindex, 4);
  b.writeUInt32LE(attachType, 8);
  b.writeUInt32LE(flags, 12);
  return bpfRaw(CMD.LINK_CREATE, b);
}

/** LINK_UPDATE: the link runs `newProgFd` from now on (atomically); with `oldProgFd`, only if it ran that. */
export function linkUpdate(linkFd: number, newProgFd: number, oldProgFd?: number): void {
  const b = attrBuf();
  b.writeUInt32LE(linkFd, 0);
  b.writeUInt32LE(newProgFd, 4);
  if (oldProgFd !== undefined) {
    b.writeUInt32LE(LINK_F_REPLACE, 8);
    b.writeUInt32LE(oldProgFd, 12);
  }
  bpf(CMD.LINK_UPDATE, b, "replacing the link's program");
}

const LINK_F_REPLACE = 4; // BPF_F_REPLACE

export function linkDetach(linkFd: number): void {
  const b = attrBuf();
  b.writeUInt32LE(linkFd, 0);
  bpf(CMD.LINK_DETACH, b, "detaching link");
}

export interface TestRunAttr {
  progFd: number;
  data: Uint8Array;
  dataOutSize?: number;
  repeat?: number;
  ctxIn?: Uint8Array;
}

export interface TestRunResult {
  retval: number;
  durationNs: number;
  dataOut: Buffer;
}

export function progTestRun(a: TestRunAttr): TestRunResult {
  const b = attrBuf();
  const data = Buffer.from(a.data);
  const out = Buffer.alloc(a.dataOutSize ?? Math.max(data.length + 256, 256));
  b.writeUInt32LE(a.progFd, 0);
  b.writeUInt32LE(data.length, 8);
  b.writeUInt32LE(out.length, 12);
  b.writeBigUInt64LE(addr(data), 16);
  b.writeBigUInt64LE(addr(out), 24);
  b.writeUInt32LE(a.repeat ?? 1, 32);
  const ctx = a.ctxIn ? Buffer.from(a.ctxIn) : undefined;
  if (ctx) {
    b.writeUInt32LE(ctx.length, 40);
    b.writeBigUInt64LE(addr(ctx), 48);
  }
  bpf(CMD.PROG_TEST_RUN, b, "BPF_PROG_TEST_RUN");
  keep(data, out, ctx);
  const outLen = b.readUInt32LE(12);
  return {
    retval: b.readUInt32LE(4),
    durationNs: b.readUInt32LE(36),
    dataOut: out.subarray(0, Math.min(outLen, out.length)),
  };
}

/** OBJ_GET_INFO_BY_FD into a zeroed buffer of `size` bytes, or into `info` as given (pointers set). */
export function objInfo(fd: number, size: number, info = Buffer.alloc(size)): Buffer {
  const b = attrBuf();
  b.writeUInt32LE(fd, 0);
  b.writeUInt32LE(size, 4);
  b.writeBigUInt64LE(addr(info), 8);
  bpf(CMD.OBJ_GET_INFO_BY_FD, b, "reading object info");
  keep(info);
  return info;
}

export interface ProgInfo {
  type: number;
  id: number;
  tag: string;
  name: string;
  xlatedLen: number;
  jitedLen: number;
  /** Instructions the verifier processed (walking every path it kept), Linux 5.16+. */
  verifiedInsns: number;
}

export function progInfo(fd: number): ProgInfo {
  const i = objInfo(fd, 232);
  return {
    type: i.readUInt32LE(0),
    id: i.readUInt32LE(4),
    tag: i.subarray(8, 16).toString("hex"),
    jitedLen: i.readUInt32LE(16),
    xlatedLen: i.readUInt32LE(20),
    name: cname(i.subarray(64, 80)),
    verifiedInsns: i.readUInt32LE(216),
  };
}

export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  /** The map's BTF object and key/value type ids (0 when created without BTF). */
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
}

export function mapInfo(fd: number): MapInfo {
  const i = objInfo(fd, 96);
  return {
    type: i.readUInt32LE(0),
    id: i.readUInt32LE(4),
    keySize: i.readUInt32LE(8),
    valueSize: i.readUInt32LE(12),
    maxEntries: i.readUInt32LE(16),
    flags: i.readUInt32LE(20),
    name: cname(i.subarray(24, 40)),
    btfId: i.readUInt32LE(64),
    btfKeyTypeId: i.readUInt32LE(68),
    btfValueTypeId: i.readUInt32LE(72),
  };
}

const ENOENT = 2;

/** The first program or map id above `start` (PROG_/MAP_GET_NEXT_ID); undefined after the last. */
export function nextId(kind: "prog" | "map", start: number): number | undefined {
  const b = attrBuf();
  b.writeUInt32LE(start, 0);
  const r = bpfRaw(kind === "prog" ? CMD.PROG_GET_NEXT_ID : CMD.MAP_GET_NEXT_ID, b);
  if (r === -ENOENT) return undefined;
  if (r < 0) throw new BpfError(`listing ${kind} ids`, -r, hintFor(-r));
  return b.readUInt32LE(4);
}

/** A new fd for the program or map `id` (PROG_/MAP_GET_FD_BY_ID); undefined when it is gone. */
export function fdById(kind: "prog" | "map", id: number): number | undefined {
  const b = attrBuf();
  b.writeUInt32LE(id, 0);
  const r = bpfRaw(kind === "prog" ? CMD.PROG_GET_FD_BY_ID : CMD.MAP_GET_FD_BY_ID, b);
  if (r === -ENOENT) return undefined;
  if (r < 0) throw new BpfError(`opening ${kind} ${id}`, -r, hintFor(-r));
  return r;
}

/** The ids of the maps program `fd` uses (bpf_prog_info nr_map_ids / map_ids). */
export function progMapIds(fd: number): number[] {
  const max = 64;
  const ids = Buffer.alloc(max * 4);
  const info = Buffer.alloc(232);
  info.writeUInt32LE(max, 52);
  info.writeBigUInt64LE(addr(ids), 56);
  objInfo(fd, info.length, info);
  keep(ids);
  const n = Math.min(info.readUInt32LE(52), max);
  return Array.from({ length: n }, (_, i) => ids.readUInt32LE(i * 4));
}

/** bpf_link_info: type, id, prog_id and, for XDP links, the interface (0 once detached). */
export function linkInfo(fd: number): { type: number; id: number; progId: number; ifindex: number } {
  const i = objInfo(fd, 64);
  return { type: i.readUInt32LE(0), id: i.readUInt32LE(4), progId: i.readUInt32LE(8), ifindex: i.readUInt32LE(16) };
}

/** The raw BTF of a loaded BTF object (by id), e.g. the types a pinned map was created with. */
export function btfById(id: number): Buffer {
  const b = attrBuf();
  b.writeUInt32LE(id, 0);
  const fd = bpf(CMD.BTF_GET_FD_BY_ID, b, `opening BTF object ${id}`);
  try {
    const size = objInfo(fd, 32).readUInt32LE(8);
    const data = Buffer.alloc(size);
    const info = Buffer.alloc(32);
    info.writeBigUInt64LE(addr(data), 0);
    info.writeUInt32LE(size, 8);
    const a = attrBuf();
    a.writeUInt32LE(fd, 0);
    a.writeUInt32LE(info.length, 4);
    a.writeBigUInt64LE(addr(info), 8);
    bpf(CMD.OBJ_GET_INFO_BY_FD, a, "reading BTF");
    keep(data, info);
    return data;
  } finally {
    libc.close(fd);
  }
}

/** What a bpf fd refers to, from /proc/self/fd: a map, a program, a link, or something else. */
export function fdKind(fd: number): "map" | "prog" | "link" | "other" {
  let target = "";
  try {
    target = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    /* no procfs */
  }
  const m = /^anon_inode:bpf[-_](map|prog|link)$/.exec(target);
  return (m?.[1] as "map" | "prog" | "link" | undefined) ?? "other";
}

function cname(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString("utf8");
}

// Keep buffers reachable until after the syscall (their addresses were handed to the kernel).
function keep(..._bufs: unknown[]): void {}
