// Running a generated program in the VM exactly as kernel-run.ts runs it in the kernel: LPM
// entries preloaded, per-CPU maps cleared before each packet, per packet the verdict, output bytes
// and a dump of every map, then the decoded log messages.
import { decodeRecord } from "../../loader/log-format.js";
import { XdpVm } from "../../loader/vm/xdp.js";
import type { GenProgram } from "./generate.js";
import { dumpMaps, isArray, isPerCpu, lpmEntries, SIZE, type ProgramOutcome } from "./kernel-run.js";

export function runInVm(bytes: Uint8Array, prog: GenProgram, packets: Uint8Array[]): ProgramOutcome {
  const vm = XdpVm.fromElf(bytes, { program: prog.name });
  for (const [name, key, value] of lpmEntries(prog)) vm.map(name).set(key, value);
  const out = packets.map((p) => {
    for (const m of prog.maps.filter(isPerCpu)) {
      const map = vm.map(m.name);
      for (const [k] of map.entries())
        if (isArray(m)) map.set(k, new Uint8Array(SIZE[m.value]));
        else map.delete(k);
    }
    const r = vm.run(p);
    return { verdict: r.verdict, packet: r.packet, maps: dumpMaps(prog.maps, (s) => vm.map(s.name).entries()) };
  });
  const formats = vm.model.logFormats ?? [];
  return {
    packets: out,
    logs: vm.drainRing("TSEBPF_LOGS").map((rec) => decodeRecord(rec, formats)?.message ?? "<bad record>"),
  };
}
