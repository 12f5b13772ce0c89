// Loading objects into the kernel in tests: run packets with BPF_PROG_TEST_RUN (each also in the
// VM and compared: twin.ts) and read back ring buffer records and decoded TSEBPF_LOGS messages.
// The object is always closed.
import { loadObject, type LoadedObject } from "../../loader/object.js";
import { RingReader, decodeRecord } from "../../loader/logs.js";
import { testRunChecked } from "./twin.js";

/** Load an object, call fn with it, close it (also after a failure). */
export function withObject<T>(bytes: Uint8Array, fn: (o: LoadedObject) => T): T {
  const o = loadObject(bytes);
  try {
    return fn(o);
  } finally {
    o.close();
  }
}

/** Pass every record waiting in the ring buffer map `name` to fn. */
export function drainRing(o: LoadedObject, name: string, fn: (rec: Uint8Array) => void): void {
  const m = o.map(name);
  if (!m) throw new Error(`no map ${name}`);
  const r = new RingReader(m.fd, m.def.maxEntries);
  try {
    r.poll(fn);
  } finally {
    r.close();
  }
}

/** The decoded log messages waiting in TSEBPF_LOGS (none if the program never logs). */
export function readLogs(o: LoadedObject): string[] {
  const out: string[] = [];
  if (o.map("TSEBPF_LOGS"))
    drainRing(o, "TSEBPF_LOGS", (rec) =>
      out.push(decodeRecord(rec, o.model.logFormats ?? [])?.message ?? "<bad record>"),
    );
  return out;
}

/** The program's verdict on one packet (the VM agreeing). */
export function run(o: LoadedObject, pkt: Uint8Array): number {
  return testRunChecked(o, pkt).retval;
}

/** Load the object, test-run each packet once, then read the logs. */
export function runPackets(
  bytes: Uint8Array,
  packets: Uint8Array[],
  setup?: (o: LoadedObject) => void,
): { verdicts: number[]; logs: string[] } {
  return withObject(bytes, (o) => {
    setup?.(o);
    const verdicts = packets.map((p) => run(o, p));
    return { verdicts, logs: readLogs(o) };
  });
}
