// Records of a loaded object's user ring buffers (loader/user-rings.ts): takes the created maps,
// maps each ring (RingReader) on first use and produces the records written since the last drain,
// oldest first, as bytes (loader/btf-values.ts decodes them by the ring's record type).
import type { BpfMap } from "./map.js";
import { RingReader } from "./logs.js";
import { isUserRing } from "./user-rings.js";

/** Readers of every user ring buffer of an object; drain() gives what each holds now. */
export class RecordRings {
  private readers = new Map<string, RingReader>();
  readonly rings: BpfMap[];

  constructor(maps: BpfMap[]) {
    this.rings = maps.filter((m) => isUserRing(m.def));
  }

  /** Ring name → the records committed since the last drain (rings with none are left out). */
  drain(): [BpfMap, Uint8Array[]][] {
    const out: [BpfMap, Uint8Array[]][] = [];
    for (const m of this.rings) {
      const recs: Uint8Array[] = [];
      this.reader(m).poll((r) => recs.push(r));
      if (recs.length) out.push([m, recs]);
    }
    return out;
  }

  close(): void {
    for (const r of this.readers.values()) r.close();
    this.readers.clear();
  }

  private reader(m: BpfMap): RingReader {
    let r = this.readers.get(m.name);
    if (!r) this.readers.set(m.name, (r = new RingReader(m.fd, m.def.maxEntries)));
    return r;
  }
}
