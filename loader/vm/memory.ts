// The VM's memory: takes regions (packet, stack frames, context, map values) and produces tagged
// 64-bit pointers into them. A pointer is region id × 2^21 + 2^20 + byte index, ids counting from
// 512: the first 512 regions' pointers lie in [2^30, 2^31), which V8 keeps as small integers (no
// allocation for a pointer in a register), later ones still below 2^53. A region holds at most
// 1 MiB and offsets up to ±1 MiB stay inside its own tag (the verifier bounds packet offsets by
// 0xffff, the stack by 512). Scalars below 2^30 are never pointers. Pointer arithmetic works as in
// the kernel while every access is checked against its own region's bounds; a failed check throws
// a VmFault naming the instruction and the region.

import type { Reg } from "./reg.js";

export const SPAN = 2 ** 21;
export const MID = 2 ** 20;
/** The id of the first region (pointers from 2^30). */
export const FIRST = 2 ** 30 / SPAN;

/** A run-time error of the program (the kernel's verifier would have refused to load it). */
export class VmFault extends Error {
  constructor(
    message: string,
    readonly insn: number,
  ) {
    super(`${message} at insn ${insn}; the kernel's verifier would have rejected this program`);
  }
}

/** Loads and stores of a region that is not plain bytes (the context struct). */
export interface RegionHooks {
  load(off: number, size: number, insn: number): Reg;
}

export interface Region {
  id: number;
  name: string;
  bytes: Uint8Array;
  dv: DataView;
  /** Accessible byte range [lo, hi) of bytes; offsets are printed relative to origin. */
  lo: number;
  hi: number;
  origin: number;
  writable: boolean;
  hooks?: RegionHooks;
}

export class Memory {
  /** Every region; a pointer's region is list[Math.floor(pointer / SPAN) - FIRST]. */
  readonly list: Region[] = [];

  add(
    name: string,
    bytes: Uint8Array,
    o: Partial<Pick<Region, "lo" | "hi" | "origin" | "writable" | "hooks">> = {},
  ): Region {
    if (bytes.length > MID)
      throw new RangeError(`${name} is ${bytes.length} bytes: the VM holds at most ${MID} per region`);
    const r: Region = {
      id: this.list.length + FIRST,
      name,
      bytes,
      dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      lo: o.lo ?? 0,
      hi: o.hi ?? bytes.length,
      origin: o.origin ?? 0,
      writable: o.writable ?? true,
      hooks: o.hooks,
    };
    this.list.push(r);
    return r;
  }

  /** The pointer to byte `index` of region r. */
  ptr(r: Region, index: number): number {
    return r.id * SPAN + MID + index;
  }

  /** The region a pointer points into (undefined for scalars). */
  regionOf(addr: Reg): Region | undefined {
    return typeof addr === "bigint" ? undefined : this.list[Math.floor(addr / SPAN) - FIRST];
  }

  /** The byte index of an access of `size` bytes at addr in its region (then this.hit); faults
   *  when out of bounds. */
  check(addr: Reg, size: number, write: boolean, insn: number): number {
    const r = this.regionOf(addr);
    const i = r ? index(addr as number) : 0;
    if (!r || i < r.lo || i + size > r.hi || (write && !r.writable)) fault(r, addr, i, size, write, insn);
    this.hit = r;
    return i;
  }

  /** The region of the last check(). */
  hit: Region | undefined;

  load(addr: Reg, size: number, insn: number): Reg {
    const h = this.regionOf(addr)?.hooks;
    if (h) return h.load(index(addr as number) - this.regionOf(addr)!.origin, size, insn);
    const i = this.check(addr, size, false, insn),
      dv = this.hit!.dv;
    switch (size) {
      case 1:
        return dv.getUint8(i);
      case 2:
        return dv.getUint16(i, true);
      case 4:
        return dv.getUint32(i, true);
    }
    const hi = dv.getUint32(i + 4, true);
    return hi < 2 ** 21 ? hi * 2 ** 32 + dv.getUint32(i, true) : dv.getBigUint64(i, true);
  }

  store(addr: Reg, size: number, v: Reg, insn: number): void {
    const i = this.check(addr, size, true, insn),
      dv = this.hit!.dv;
    if (typeof v === "bigint") {
      if (size === 8) return dv.setBigUint64(i, v, true);
      v = Number(BigInt.asUintN(32, v));
    }
    switch (size) {
      case 1:
        return dv.setUint8(i, v & 0xff);
      case 2:
        return dv.setUint16(i, v & 0xffff, true);
      case 4:
        return dv.setUint32(i, v % 2 ** 32, true);
    }
    dv.setUint32(i, v % 2 ** 32, true);
    dv.setUint32(i + 4, Math.floor(v / 2 ** 32), true);
  }

  /** `size` bytes at addr, not copied (keys a map looks up; maps copy what they keep). */
  view(addr: Reg, size: number, insn: number): Uint8Array {
    if (size === 0) return new Uint8Array(0);
    const i = this.check(addr, size, false, insn);
    return this.hit!.bytes.subarray(i, i + size);
  }

  /** A copy of `size` bytes at addr (helper arguments such as values). */
  bytes(addr: Reg, size: number, insn: number): Uint8Array {
    if (size === 0) return new Uint8Array(0);
    const i = this.check(addr, size, false, insn);
    return this.hit!.bytes.slice(i, i + size);
  }
}

const index = (addr: number) => (addr % SPAN) - MID;

/** Throws the VmFault of a failed check. */
function fault(r: Region | undefined, addr: Reg, i: number, size: number, write: boolean, insn: number): never {
  const what = `${write ? "write" : "read"} of ${size} byte${size > 1 ? "s" : ""}`;
  if (!r) throw new VmFault(`${what} at 0x${addr.toString(16)}, which is not a pointer`, insn);
  if (write && !r.writable) throw new VmFault(`${what} at ${describe(r, i)}: ${r.name} is read-only`, insn);
  const len = r.origin < r.hi ? r.hi - r.origin : r.hi - r.lo;
  throw new VmFault(`out-of-bounds ${what} at ${describe(r, i)} (${r.name} is ${len} bytes)`, insn);
}

/** `packet+60`, `stack-8`. */
function describe(r: Region, i: number): string {
  const off = i - r.origin;
  return `${r.name}${off < 0 ? "" : "+"}${off}`;
}
