// The VM's memory: takes regions (packet, stack frames, context, map values) and produces tagged
// 64-bit pointers into them. A pointer is region id × 2^40 + 2^39 + byte index (so even far
// negative offsets stay inside their own region's tag), pointer arithmetic works as in the kernel while every access is checked against its own region's bounds; a
// failed check throws a VmFault naming the instruction and the region.

const SPAN = 2 ** 40;
const SPAN_N = BigInt(SPAN);
const MID = 2 ** 39;

/** A run-time error of the program (the kernel's verifier would have refused to load it). */
export class VmFault extends Error {
  constructor(message: string, readonly insn: number) {
    super(`${message} at insn ${insn}; the kernel's verifier would have rejected this program`);
  }
}

/** Loads and stores of a region that is not plain bytes (the context struct). */
export interface RegionHooks {
  load(off: number, size: number, insn: number): bigint;
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
  private regions: Region[] = [];

  add(name: string, bytes: Uint8Array, o: Partial<Pick<Region, "lo" | "hi" | "origin" | "writable" | "hooks">> = {}): Region {
    const r: Region = {
      id: this.regions.length + 1, name, bytes, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      lo: o.lo ?? 0, hi: o.hi ?? bytes.length, origin: o.origin ?? 0, writable: o.writable ?? true, hooks: o.hooks,
    };
    this.regions.push(r);
    return r;
  }

  /** The pointer to byte `index` of region r. */
  ptr(r: Region, index: number): bigint {
    return BigInt(r.id * SPAN + MID + index);
  }

  /** The region a pointer points into (undefined for scalars). */
  regionOf(addr: bigint): Region | undefined {
    return addr < SPAN_N ? undefined : this.regions[Number(addr / SPAN_N) - 1];
  }

  /** Checks an access of `size` bytes at addr; returns the region and the byte index. */
  check(addr: bigint, size: number, write: boolean, insn: number): [Region, number] {
    const r = this.regionOf(addr);
    const what = `${write ? "write" : "read"} of ${size} byte${size > 1 ? "s" : ""}`;
    if (!r) throw new VmFault(`${what} at 0x${addr.toString(16)}, which is not a pointer`, insn);
    const i = index(addr);
    if (write && !r.writable) throw new VmFault(`${what} at ${describe(r, i)}: ${r.name} is read-only`, insn);
    if (i < r.lo || i + size > r.hi)
      throw new VmFault(`out-of-bounds ${what} at ${describe(r, i)} (${r.name} is ${r.origin < r.hi ? r.hi - r.origin : r.hi - r.lo} bytes)`, insn);
    return [r, i];
  }

  load(addr: bigint, size: number, insn: number): bigint {
    const r = this.regionOf(addr);
    if (r?.hooks) return r.hooks.load(index(addr) - r.origin, size, insn);
    const [reg, i] = this.check(addr, size, false, insn);
    const dv = reg.dv;
    switch (size) {
      case 1: return BigInt(dv.getUint8(i));
      case 2: return BigInt(dv.getUint16(i, true));
      case 4: return BigInt(dv.getUint32(i, true));
      default: return dv.getBigUint64(i, true);
    }
  }

  store(addr: bigint, size: number, v: bigint, insn: number): void {
    const [r, i] = this.check(addr, size, true, insn);
    const dv = r.dv;
    switch (size) {
      case 1: dv.setUint8(i, Number(v & 0xffn)); break;
      case 2: dv.setUint16(i, Number(v & 0xffffn), true); break;
      case 4: dv.setUint32(i, Number(v & 0xffffffffn), true); break;
      default: dv.setBigUint64(i, v, true);
    }
  }

  /** A copy of `size` bytes at addr (helper arguments such as keys). */
  bytes(addr: bigint, size: number, insn: number): Uint8Array {
    if (size === 0) return new Uint8Array(0);
    const [r, i] = this.check(addr, size, false, insn);
    return r.bytes.slice(i, i + size);
  }
}

const index = (addr: bigint) => Number(addr % SPAN_N) - MID;

/** `packet+60`, `stack-8`. */
function describe(r: Region, i: number): string {
  const off = i - r.origin;
  return `${r.name}${off < 0 ? "" : "+"}${off}`;
}
