// One differential check: takes a generated program and packets, compiles it (a compile error
// throws with the source), runs it in the kernel and in the reference interpreter, and says
// whether the verifier rejected it or where the results first differ.
import { parseProgram } from "../../compiler/dsl/syntax/parser.js";
import { VerifierError } from "../../loader/object.js";
import { compileDsl } from "../helpers/dsl.js";
import type { GenProgram } from "./generate.js";
import { clearPerCpu, initialMaps, Interp, type MapState } from "./interp.js";
import { formatMap, runInKernel, type ProgramOutcome } from "./kernel-run.js";

export type Verdict = { kind: "ok" } | { kind: "rejected"; message: string } | { kind: "wrong"; message: string };

/** `loops` "real": the program's loops compiled as real loops (back edges), not unrolled by the rule. */
export function checkProgram(prog: GenProgram, packets: Uint8Array[], loops: "auto" | "real" = "auto"): Verdict {
  const bytes = compileDsl(prog.source, "gen.ts", { showSource: true, loops });
  let got: ProgramOutcome;
  try {
    got = runInKernel(bytes, prog, packets);
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    return { kind: "rejected", message: e.message.split("\n").slice(-4).join(" | ") };
  }
  const diff = difference(interpret(prog, packets), got, packets);
  return diff ? { kind: "wrong", message: diff } : { kind: "ok" };
}

/** What the reference interpreter says the program does with each packet. */
export function interpret(prog: GenProgram, packets: Uint8Array[]): ProgramOutcome {
  const maps = initialMaps(prog.maps, prog.lpm);
  const interp = new Interp(parseProgram(prog.source, "gen.ts").ast, maps);
  const logs: string[] = [];
  const out = packets.map((p) => {
    clearPerCpu(maps);
    const r = interp.run(prog.name, p);
    logs.push(...r.logs);
    return { verdict: r.verdict, packet: r.packet, maps: dumpMaps(maps) };
  });
  return { packets: out, logs };
}

function dumpMaps(maps: Map<string, MapState>): string {
  return [...maps.values()]
    .filter((m) => m.spec.cls !== "LpmTrie")
    .map((m) => formatMap(m.spec.name, m.entries))
    .join("; ");
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** The first difference between the interpreter and the kernel, or undefined. */
function difference(want: ProgramOutcome, got: ProgramOutcome, packets: Uint8Array[]): string | undefined {
  for (let i = 0; i < packets.length; i++) {
    const w = want.packets[i]!,
      g = got.packets[i]!;
    const where = `packet ${i} (${hex(packets[i]!)})`;
    if (w.verdict !== g.verdict) return `${where}: verdict ${g.verdict}, interpreter says ${w.verdict}`;
    if (hex(w.packet) !== hex(g.packet)) return `${where}: output ${hex(g.packet)}, interpreter says ${hex(w.packet)}`;
    if (w.maps !== g.maps) return `${where}: maps ${g.maps}, interpreter says ${w.maps}`;
  }
  const n = Math.max(want.logs.length, got.logs.length);
  for (let i = 0; i < n; i++)
    if (want.logs[i] !== got.logs[i])
      return `log ${i}: ${JSON.stringify(got.logs[i])}, interpreter says ${JSON.stringify(want.logs[i])}`;
  return undefined;
}
