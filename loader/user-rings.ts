// Which ring buffers carry the program's records for its user (every BPF_MAP_TYPE_RINGBUF but
// TSEBPF_LOGS, the log path) and the BTF type of their records (the `tsebpf.record:` decl tag,
// docs/ring-buffers.md). Plain data: the VM and the kernel side both use it (no koffi here).
import type { LoadedMap, MapDef } from "../compiler/object.js";
import { MAP_TYPE } from "../compiler/abi.js";
import { LOG_MAP } from "../compiler/log-record.js";

/** A ring buffer the program writes records to for its user (not the log ring). */
export function isUserRing(def: MapDef): boolean {
  return def.type === MAP_TYPE.RINGBUF && def.name !== LOG_MAP;
}

/** The BTF type id of a ring's records, when the object names one. */
export function recordTypeId(def: MapDef): number | undefined {
  return (def as LoadedMap).btfRecordTypeId;
}
