// Random DSL programs (test/gen/generate.ts, fixed seed and budget) compiled, loaded and run in
// the kernel with BPF_PROG_TEST_RUN on several packets each, and compared with an independent
// reference interpreter of the DSL (test/gen/interp.ts): verdict, output packet and map contents
// per packet, and the log messages. The compiler must accept every generated program and the
// verifier every compiled one (ISSUE7 §2).
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { rng } from "./helpers/rng.js";
import { generateProgram } from "./gen/generate.js";
import { randomFrames } from "./gen/frames.js";
import { checkProgram } from "./gen/differential.js";
import { Interp } from "./gen/interp.js";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { frame } from "./helpers/packets.js";
import { compileToInput } from "../compiler/dsl/index.js";
import { compileDsl } from "./helpers/dsl.js";
import { runPackets } from "./helpers/run.js";

// DSL_GEN_SEED and DSL_GEN_PROGRAMS widen the search locally (back-end changes: run more seeds)
const PROGRAMS = Number(process.env.DSL_GEN_PROGRAMS ?? 500);
const PACKETS = 6;
const SEED = Number(process.env.DSL_GEN_SEED ?? 0x9e7);

/** Control-flow programs (while, do…while, break/continue, switch): a seed and budget of their own. */
const CONTROL_PROGRAMS = Number(process.env.DSL_GEN_CONTROL_PROGRAMS ?? 250);
const CONTROL_SEED = Number(process.env.DSL_GEN_SEED ?? 0x1f00);
/** A run stops after this many failures (DSL_GEN_MAX_FAILURES: a wide run lists them all). */
const MAX_FAILURES = Number(process.env.DSL_GEN_MAX_FAILURES ?? 3);

describe.skipIf(!haveKernel)("random DSL programs against the reference interpreter", () => {
  const cases = [
    { what: "", programs: PROGRAMS, seed: SEED, opts: {} },
    { what: "control-flow ", programs: CONTROL_PROGRAMS, seed: CONTROL_SEED, opts: { control: true } },
  ];
  it.each(cases)(
    "$programs $what programs: compiled, accepted by the verifier, same results as the interpreter",
    ({ programs, seed, opts }) => {
      const r = rng(seed);
      const failures: string[] = [];
      let rejected = 0,
        wrong = 0,
        packetsRun = 0;
      let n = 0;
      for (; n < programs && failures.length < MAX_FAILURES; n++) {
        const prog = generateProgram(r, `xdp_gen${n}`, opts);
        const packets = randomFrames(r, PACKETS);
        let v: ReturnType<typeof checkProgram>;
        try {
          v = checkProgram(prog, packets, n % 2 ? "real" : "auto"); // every other one with real loops
        } catch (e) {
          // a compile error (with the source) is one of the failures: a wide run goes on past it
          failures.push(`program ${n} (${n % 2 ? "real" : "auto"} loops) not compiled: ${(e as Error).message}`);
          continue;
        }
        if (v.kind === "rejected") rejected++;
        else packetsRun += packets.length;
        if (v.kind === "wrong") wrong++;
        if (v.kind !== "ok") failures.push(`program ${n} ${v.kind}: ${v.message}\n${prog.source}`);
      }
      console.log(
        `dsl-gen: ${n} ${opts.control ? "control-flow " : ""}programs, ${packetsRun} packets, ${rejected} rejected, ${wrong} wrong, ${failures.length} failures`,
      );
      expect(failures).toEqual([]);
    },
    Math.max(120_000, Math.max(PROGRAMS, CONTROL_PROGRAMS) * 500),
  );
});

describe("the generator", () => {
  it("makes helpers taking a checked IPv4 view and global functions, compiled as subprograms", () => {
    const r = rng(0x9e7); // the default seed: the counts below are this seed's
    const subs = { view: 0, global: 0 };
    for (let n = 0; n < 120; n++) {
      const prog = generateProgram(r, `xdp_gen${n}`);
      randomFrames(r, PACKETS); // the same draws as the differential run
      const input = compileToInput(prog.source, "gen.ts", { sectionStyle: "tsebpf" }).input;
      for (const f of input?.subprograms ?? []) {
        if (f.global) subs.global++;
        if (f.proto?.params[0]?.name === "hv") subs.view++;
      }
    }
    console.log(`generator: ${JSON.stringify(subs)} subprograms in 120 programs`);
    expect(subs.view).toBeGreaterThan(3);
    expect(subs.global).toBeGreaterThan(3);
  });
});

describe("the reference interpreter", () => {
  const run = (body: string, pkt: Uint8Array): string[] => {
    const src = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, IcmpHdr, info, u8, u16, u32, i32 } from "tsebpf";
export function xdp_t(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Aborted;
  const icmp = ctx.header(IcmpHdr, EthHdr.size + Ipv4Hdr.size);
  if (icmp === null) return XdpAction.Aborted;
${body}
  return XdpAction.Pass;
}`;
    return new Interp(parseProgram(src, "t.ts").ast, new Map()).run("xdp_t", pkt).logs;
  };

  it("widens operands to 64 bits and narrows only when stored or by 'as' (ISSUE7 §1)", () => {
    const pkt = frame({ proto: 1 });
    pkt[14 + 20] = 8; // ICMP type
    pkt[14 + 21] = 3; // ICMP code
    expect(
      run(
        `  const t: u32 = ip.ttl + 200;
  const w: u16 = (icmp.type << 8) | icmp.code;
  const big: u32 = 0x80000000;
  const zero: i32 = 0;
  const m: i32 = -1;
  info(\`\${t} \${w} \${big > zero} \${(ip.ttl + 200) as u8} \${m < big}\`);`,
        pkt,
      ),
    ).toEqual(["264 2051 true 8 true"]);
  });

  it("evaluates an element's index once in a compound assignment, before the value (as TypeScript and the compiler)", () => {
    // seed 55 program 152: `GA0[h1(…) & 7] ^= x4` called h1 twice in the interpreter (a read, then the write)
    const src = `import { XdpContext, XdpAction, info, u32, FixedArray } from "tsebpf";
let A: FixedArray<u32, 4> = [1, 2, 3, 4];
let n: u32 = 0;
function h(): u32 { n++; info(\`h \${n}\`); return n; }
export function xdp_t(ctx: XdpContext): XdpAction {
  A[h() & 3] ^= 16;
  A[h() & 3] += h();
  A[3] = h();
  info(\`\${A[0]} \${A[1]} \${A[2]} \${A[3]} \${n}\`);
  return XdpAction.Pass;
}`;
    const want = ["h 1", "h 2", "h 3", "h 4", "1 18 6 4 4"];
    expect(new Interp(parseProgram(src, "t.ts").ast, new Map()).run("xdp_t", frame({})).logs).toEqual(want);
    if (haveKernel) expect(runPackets(compileDsl(src, "t.ts"), [frame({})]).logs).toEqual(want);
  });

  it("moves the packet start and end as BPF_PROG_TEST_RUN does", () => {
    const r = new Interp(
      parseProgram(
        `import { XdpContext, XdpAction, info, i32 } from "tsebpf";
export function xdp_t(ctx: XdpContext): XdpAction {
  const a: i32 = ctx.adjustHead(4);
  const b: i32 = ctx.adjustHead(-8);
  const c: i32 = ctx.adjustHead(-213);
  const d: i32 = ctx.adjustTail(-300);
  const e: i32 = ctx.adjustTail(2);
  info(\`\${a} \${b} \${c} \${d} \${e} \${ctx.length}\`);
  return XdpAction.Pass;
}`,
        "t.ts",
      ).ast,
      new Map(),
    ).run(
      "xdp_t",
      Uint8Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(r.logs).toEqual(["0 0 -22 -22 0 26"]);
    expect([...r.packet]).toEqual([0, 0, 0, 0, 1, 2, 3, 4, ...Array.from({ length: 16 }, (_, i) => i + 5), 0, 0]);
  });
});
