// Records reserved in the VM's ring buffers: takes ring slots (RingMap.reserve) and produces
// pointers to their bytes that the program writes through, then takes those pointers back at
// bpf_ringbuf_submit/discard. Each live record is a memory region of exactly its size; a released
// record's region accepts no access (a use after submit faults) until a later reserve reuses it.
import type { RingSlot } from "./maps.js";
import { VmFault, type Memory, type Region } from "./memory.js";

export class RingRecords {
  private readonly live = new Map<Region, RingSlot>();
  private readonly free: Region[] = [];
  constructor(private readonly mem: Memory) {}

  /** The pointer to a newly reserved record's first byte. */
  ptr(slot: RingSlot): number {
    const r = this.free.pop() ?? this.mem.add("ring record", slot.data);
    r.bytes = slot.data;
    r.dv = new DataView(slot.data.buffer, slot.data.byteOffset, slot.data.byteLength);
    r.hi = slot.data.length;
    this.live.set(r, slot);
    return this.mem.ptr(r, 0);
  }

  /** bpf_ringbuf_submit / bpf_ringbuf_discard of the record at ptr (which must be a reserved record's start). */
  release(ptr: number | bigint, state: "submitted" | "discarded", insn: number): void {
    const r = this.mem.regionOf(ptr);
    const slot = r && this.live.get(r);
    if (!r || !slot || this.mem.ptr(r, 0) !== ptr)
      throw new VmFault(
        `bpf_ringbuf_${state === "submitted" ? "submit" : "discard"}: r1 is not a reserved record`,
        insn,
      );
    slot.state = state;
    this.live.delete(r);
    r.hi = 0; // no access until reused
    this.free.push(r);
  }
}
