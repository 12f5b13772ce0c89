// The body of `tsebpf test`: takes a program file, packets and map entries, loads the program,
// runs each packet with BPF_PROG_TEST_RUN and prints verdicts (text or JSON).
import type { Io } from "../io.js";
import { CliError } from "../errors.js";
import { readPackets } from "../packet-args.js";
import { fillMaps } from "../map-args.js";
import { programBytes } from "../../loader/input.js";
import { loadObject, type LoadedObject } from "../../loader/object.js";
import { testRun, xdpActionName } from "../../loader/test-run.js";

const ETH_HLEN = 14;

export interface RunTestsOpts {
  packet: string[];
  repeat: string;
  map?: string[];
  json?: boolean;
  program?: string;
}

export async function runTests(file: string, o: RunTestsOpts, io: Io): Promise<number> {
  const repeat = parseRepeat(o.repeat);
  const packets = o.packet.flatMap((p) => readPackets(p, (w) => io.stderr(`warning: ${w}\n`)));
  packets.forEach((p, i) => {
    if (p.length < ETH_HLEN) throw new CliError(`packet ${i + 1} is ${p.length} byte(s); XDP test runs need at least ${ETH_HLEN} (an Ethernet header)`);
  });
  const bytes = await programBytes(file);
  let obj: LoadedObject | undefined;
  try {
    obj = loadObject(bytes, { verbose: (n) => io.stderr(n + "\n"), source: file });
    fillMaps(obj.maps, obj.model.btf, o.map ?? []);
    const prog = obj.program(o.program);
    const results = packets.map((p, i) => {
      const r = testRun(prog.fd, p, { repeat });
      const changed = Buffer.compare(Buffer.from(r.dataOut), Buffer.from(p)) !== 0;
      return { packet: i + 1, verdict: xdpActionName(r.retval), retval: r.retval, nsPerPacket: r.durationNs, ...(changed ? { dataOut: Buffer.from(r.dataOut).toString("hex") } : {}) };
    });
    const width = Math.max(12, ...results.map((r) => r.verdict.length)); // one column, also for "unknown action 7"
    if (o.json) io.stdout(JSON.stringify({ program: prog.name, repeat, results }, null, 2) + "\n");
    else for (const r of results) {
      io.stdout(`packet ${r.packet}: ${r.verdict.padEnd(width)} ${r.nsPerPacket} ns/packet\n`);
      if (r.dataOut) io.stdout(`  output (${r.dataOut.length / 2} bytes): ${r.dataOut}\n`);
    }
    return 0;
  } finally {
    obj?.close();
  }
}

export function parseRepeat(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 0xffffffff) throw new CliError(`--repeat '${s}': expected a positive integer`);
  return Number(s);
}
