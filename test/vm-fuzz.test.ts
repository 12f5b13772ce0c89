// Differential fuzzing of the VM against the kernel (issue 11 §4): random DSL programs
// (test/gen/generate.ts) on random frames and mutated copies of them (flipped bytes, cut or grown
// lengths) run through BPF_PROG_TEST_RUN and through the VM; verdict, output packet, every map
// after every packet, and the logs must agree. Fixed seed and budget; the counts are printed.
import { describe, expect, it } from "vitest";
import { VerifierError } from "../loader/verifier.js";
import { haveKernel } from "./helpers/env.js";
import { compileDsl } from "./helpers/dsl.js";
import { rng } from "./helpers/rng.js";
import { randomFrames } from "./gen/frames.js";
import { generateProgram } from "./gen/generate.js";
import { runInKernel, type ProgramOutcome } from "./gen/kernel-run.js";
import { runInVm } from "./gen/vm-run.js";

// VM_FUZZ_SEED and VM_FUZZ_PROGRAMS widen the search locally (VM or back-end changes: run more seeds)
const PROGRAMS = Number(process.env.VM_FUZZ_PROGRAMS ?? 180);
const SEED = Number(process.env.VM_FUZZ_SEED ?? 0x11f5);

/** A copy of p with a few bytes changed, and sometimes cut short or grown (at least 14 bytes). */
function mutate(r: () => number, p: Uint8Array): Uint8Array {
  const len = r() < 0.3 ? 14 + Math.floor(r() * (p.length + 16)) : p.length;
  const out = new Uint8Array(len);
  out.set(p.subarray(0, len));
  for (let i = p.length; i < len; i++) out[i] = Math.floor(r() * 256);
  for (let n = 1 + Math.floor(r() * 3); n > 0; n--) out[Math.floor(r() * len)] ^= 1 << Math.floor(r() * 8);
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The first difference between the two runs, or undefined. */
function difference(k: ProgramOutcome, v: ProgramOutcome, packets: Uint8Array[]): string | undefined {
  for (let i = 0; i < packets.length; i++) {
    const a = k.packets[i]!,
      b = v.packets[i]!,
      where = `packet ${i} (${hex(packets[i]!)})`;
    if (a.verdict !== b.verdict) return `${where}: VM verdict ${b.verdict}, kernel ${a.verdict}`;
    if (hex(a.packet) !== hex(b.packet)) return `${where}: VM output ${hex(b.packet)}, kernel ${hex(a.packet)}`;
    if (a.maps !== b.maps) return `${where}: VM maps ${b.maps}, kernel ${a.maps}`;
  }
  return JSON.stringify(k.logs) === JSON.stringify(v.logs)
    ? undefined
    : `logs: VM ${JSON.stringify(v.logs)}, kernel ${JSON.stringify(k.logs)}`;
}

describe.skipIf(!haveKernel)("the VM against the kernel on random programs and packets", () => {
  it(
    `${PROGRAMS} programs × random and mutated packets: 0 disagreements`,
    () => {
      const r = rng(SEED);
      const failures: string[] = [];
      let pairs = 0,
        rejected = 0;
      for (let n = 0; n < PROGRAMS && failures.length < 3; n++) {
        const prog = generateProgram(r, `xdp_vm${n}`);
        const frames = randomFrames(r, 3);
        const packets = [...frames, ...frames.map((f) => mutate(r, f))];
        const bytes = compileDsl(prog.source, "gen.ts", { showSource: true });
        let kernel: ProgramOutcome;
        try {
          kernel = runInKernel(bytes, prog, packets);
        } catch (e) {
          if (!(e instanceof VerifierError)) throw e;
          rejected++;
          continue;
        }
        pairs += packets.length;
        const diff = difference(kernel, runInVm(bytes, prog, packets), packets);
        if (diff) failures.push(`program ${n}: ${diff}\n${prog.source}`);
      }
      console.log(
        `vm-fuzz: ${PROGRAMS} programs, ${pairs} program × packet pairs, ${rejected} rejected by the verifier, ${failures.length} disagreements`,
      );
      expect(failures).toEqual([]);
      expect(pairs).toBeGreaterThanOrEqual(Math.min(1000, PROGRAMS * 5));
    },
    Math.max(300_000, PROGRAMS * 2_000),
  );
});
