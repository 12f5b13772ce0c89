// Ring-buffer records for the library API: takes a created ring buffer, the object's BTF and the
// object's liveness check, and produces an async iterator of the records the program writes —
// decoded by the ring's BTF record type (plain objects with field names, numbers, bigints beyond
// 2^53), or the bytes when the object names no type. It polls the mapped ring every `intervalMs`
// when it is empty; the iteration ends when the object is closed, `signal` aborts, or the caller
// breaks out (the ring is unmapped then).
import type { ParsedBtf } from "../../compiler/elf/btf.js";
import type { BpfMap } from "../map.js";
import { RingReader } from "../logs.js";
import { decodeRecordValue, type PlainValue } from "../btf-values.js";
import { recordTypeId } from "../user-rings.js";

export interface RecordsOptions {
  /** How long to wait between polls of an empty ring (ms, default 10). */
  intervalMs?: number;
  /** Ends the iteration when aborted. */
  signal?: AbortSignal;
}

export async function* readRecords(
  map: BpfMap,
  btf: ParsedBtf | undefined,
  open: () => boolean,
  opts: RecordsOptions = {},
): AsyncGenerator<PlainValue | Uint8Array, void, undefined> {
  const reader = new RingReader(map.fd, map.def.maxEntries);
  const id = recordTypeId(map.def);
  try {
    while (open() && !opts.signal?.aborted) {
      const batch: Uint8Array[] = [];
      reader.poll((b) => batch.push(b));
      for (const b of batch) yield decodeRecordValue(btf, id, b) ?? b;
      if (!batch.length) await pause(opts.intervalMs ?? 10, opts.signal);
    }
  } finally {
    reader.close();
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    const t = setTimeout(finish, ms);
    signal?.addEventListener("abort", finish, { once: true });
    function finish() {
      clearTimeout(t);
      signal?.removeEventListener("abort", finish);
      done();
    }
  });
}
