// The body of `tsebpf test`: takes a program file, packets and map entries, loads the program,
// runs each packet with BPF_PROG_TEST_RUN and prints verdicts (text or JSON).
import type { Io } from "../cli/io.js";
import { CliError } from "../cli/io.js";
import { parseRepeat } from "../cli/commands/test.js";
import { asCliError, programBytes } from "./input.js";
import { readPackets } from "./packets.js";
import { fillMaps } from "./map-entry.js";
import { loadObject, type LoadedObject } from "./object.js";
import { testRun, xdpActionName } from "./test-run.js";

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
    obj = loadObject(bytes, { verbose: (n) => io.stderr(n + "\n") });
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
  } catch (e) {
    throw asCliError(e, file);
  } finally {
    obj?.close();
  }
}
