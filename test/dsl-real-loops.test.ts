// Real loops (BuildOptions.loops "real", issue 9 §2): loops compiled with a back edge instead of
// unrolled — statically, that the code has the back edge, is smaller than the unrolled loop, keeps a
// bounds check inside the loop, and that the verifier-work estimate counts the loop's rounds; in the
// kernel (and the VM beside it), that each program loads and gives the result the test computes.
import { describe, expect, it } from "vitest";
import { compileToInput } from "../compiler/dsl/index.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { JMP, insnWidth, type Insn } from "../compiler/isa/insn.js";
import { compileDsl } from "./helpers/dsl.js";
import { haveKernel } from "./helpers/env.js";
import { frame } from "./helpers/packets.js";
import { runPackets } from "./helpers/run.js";

const HEAD = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, u8, u16, u32, info } from "tsebpf";\n`;
type Loops = "auto" | "real";

function build(src: string, loops: Loops): { insns: Insn[]; labels: Map<string, number>; estimate: number } {
  const r = compileToInput(HEAD + src, "t.ts", { sectionStyle: "tsebpf", loops });
  if (!r.input) throw new Error(r.diagnostics.map(formatCompact).join("\n"));
  const { insns, labels } = r.input.programs[0]!.func;
  return { insns, labels: labels ?? new Map(), estimate: r.stats![0]!.verifierEstimate };
}
const slots = (insns: Insn[]): number => insns.reduce((n, i) => n + insnWidth(i), 0);
/** Edges of the instruction graph that close a cycle (a loop's back edges), by depth-first search. */
function backEdges(p: { insns: Insn[]; labels: Map<string, number> }): number {
  const succ = p.insns.map((i, k): number[] => {
    const op = i.code & 0xf0;
    const jmp = (i.code & 7) === 5 || (i.code & 7) === 6;
    if (!jmp || op === JMP.CALL) return [k + 1];
    if (op === JMP.EXIT) return [];
    const to = p.labels.get(i.target!)!;
    return op === JMP.JA ? [to] : [k + 1, to];
  });
  const state = new Uint8Array(p.insns.length + 1); // 0 new, 1 on the path, 2 done
  let back = 0;
  const stack: [number, number][] = [[0, 0]];
  state[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const s = succ[top[0]]?.[top[1]++];
    if (s === undefined) {
      state[top[0]] = 2;
      stack.pop();
    } else if (state[s] === 1) back++;
    else if (state[s] === 0) {
      state[s] = 1;
      stack.push([s, 0]);
    }
  }
  return back;
}

const prog = (body: string): string => `export function xdp_t(ctx: XdpContext): XdpAction {\n${body}\n}\n`;

// a sum of packet bytes: 24 rounds, a bounds check and a branch in each
const SUM = prog(`  let sum: u32 = 0;
  for (let i: u32 = 0; i < 24; i++) {
    const b = ctx.loadU8(14 + i) ?? 0;
    if (b === 0xff) break;
    sum += b;
  }
  info(\`\${sum}\`);
  return sum > 100 ? XdpAction.Drop : XdpAction.Pass;`);

// a header read at a constant offset inside the loop, after a shorter check before it (the packet
// does not change in the loop, so mergeBoundsChecks may raise the one before the loop for it)
const CHECK_IN_LOOP = prog(`  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  let n: u32 = 0;
  let i: u8 = 0;
  while (i < 6 && n < 1000) {
    i++;
    const udp = ctx.header(UdpHdr, 34);
    if (udp === null) return XdpAction.Aborted;
    n += udp.dstPort & 0xf;
  }
  info(\`\${n}\`);
  return XdpAction.Pass;`);

// the counter starts at a value read from the packet: the verifier would refuse the loop (it meets a
// round whose range lies within the last), so it is unrolled even when real loops are asked for
const UNKNOWN_START = prog(`  let i: u8 = ctx.loadU8(14) ?? 0;
  let x: u32 = 0;
  while (i < 200) {
    x = x * 3 + i;
    i++;
  }
  info(\`\${x}\`);
  return XdpAction.Pass;`);

describe("real loops, statically", () => {
  it("have a back edge where the rule unrolls, and are smaller", () => {
    const real = build(SUM, "real"),
      unrolled = build(SUM, "auto");
    expect(backEdges(unrolled)).toBe(0);
    expect(backEdges(real)).toBeGreaterThan(0);
    expect(slots(real.insns) * 4).toBeLessThan(slots(unrolled.insns));
  });

  it("with a header read in the loop", () => {
    expect(backEdges(build(CHECK_IN_LOOP, "real"))).toBeGreaterThan(0);
  });

  it("count their rounds in the verifier-work estimate; a counter that starts unknown is unrolled", () => {
    const sum = build(SUM, "real");
    expect(sum.estimate).toBeGreaterThan(24 * 8);
    expect(sum.estimate).toBeLessThan(24 * slots(sum.insns));
    expect(backEdges(build(UNKNOWN_START, "real"))).toBe(0);
  });
});

/** A frame whose bytes from offset 14 on are `bytes`. */
function withBytes(bytes: number[]): Uint8Array {
  const f = frame({ payload: 32 });
  f.set(bytes, 14);
  return f;
}

describe.skipIf(!haveKernel)("real loops in the kernel", () => {
  const run = (src: string, packets: Uint8Array[]) =>
    runPackets(compileDsl(HEAD + src, "t.ts", { loops: "real" }), packets);

  it("a byte sum with break loads and agrees with the unrolled program", () => {
    const packets = [withBytes([1, 2, 3, 0xff, 9]), withBytes(Array.from({ length: 30 }, (_, k) => k + 1))];
    const want = packets.map((p) => {
      let sum = 0;
      for (let i = 0; i < 24 && i + 14 < p.length; i++) {
        if (p[14 + i] === 0xff) break;
        sum += p[14 + i]!;
      }
      return sum;
    });
    const r = run(SUM, packets);
    expect(r.logs).toEqual(want.map(String));
    expect(r.verdicts).toEqual(want.map((s) => (s > 100 ? 1 : 2)));
    expect(runPackets(compileDsl(HEAD + SUM, "t.ts"), packets)).toEqual(r);
  });

  it("a header checked in each round, and a counter that starts unknown", () => {
    const f = frame({ payload: 8 });
    const port = (f[36]! << 8) | f[37]!;
    expect(run(CHECK_IN_LOOP, [f]).logs).toEqual([String(6 * (port & 0xf))]);
    const g = withBytes([190]);
    let x = 0;
    for (let i = 190; i < 200; i++) x = (x * 3 + i) >>> 0;
    expect(run(UNKNOWN_START, [g]).logs).toEqual([String(x)]);
  });
});
