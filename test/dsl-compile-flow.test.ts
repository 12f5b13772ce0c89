// Differential test of control flow: random statement sequences (let variables assigned in
// if/else chains, unrolled loops, early returns) are compiled, run in the kernel, and their logs
// compared with the reference interpreter of the DSL (test/gen/interp.ts). Exercises the
// lowering's per-path constants, the optimiser (propagation, dead stores, CFG merging) and
// register allocation.
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { rng } from "./helpers/rng.js";
import { UDP_PROLOGUE, compileDsl } from "./helpers/dsl.js";
import { runPackets } from "./helpers/run.js";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { frame } from "./helpers/packets.js";
import { interpretOnce } from "./gen/interp.js";

const VARS = ["x", "y", "z"];
const TYPE: Record<string, string> = { x: "u32", y: "i16", z: "u8" };
const INPUTS = ["ttl", "port"];

function gen(r: () => number, depth: number, loopVar?: string): string[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const operand = (): string => pick([...VARS, ...INPUTS, ...(loopVar ? [loopVar] : []), String(Math.floor(r() * 50))]);
  const out: string[] = [];
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const k = r();
    if (depth > 0 && k < 0.25) {
      const cond = `${pick([...VARS, ...INPUTS])} ${pick(["<", ">", "===", "!==", "<="])} ${Math.floor(r() * 70)}`;
      out.push(`if (${cond}) {`, ...gen(r, depth - 1, loopVar).map((s) => "  " + s));
      if (r() < 0.6) out.push("} else {", ...gen(r, depth - 1, loopVar).map((s) => "  " + s));
      out.push("}");
    } else if (depth > 0 && k < 0.35 && !loopVar) {
      const v = `i${depth}`;
      out.push(
        `for (let ${v} = 0; ${v} < ${1 + Math.floor(r() * 4)}; ${v}++) {`,
        ...gen(r, depth - 1, v).map((s) => "  " + s),
        "}",
      );
    } else if (k < 0.45) {
      out.push(`info(\`${pick(VARS)} \${${pick(VARS)}} \${${operand()}}\`);`);
    } else if (k < 0.48) {
      out.push(`if (${pick(VARS)} === ${Math.floor(r() * 40)}) return XdpAction.Drop;`);
    } else {
      const v = pick(VARS);
      out.push(`${v} ${pick(["=", "+=", "-=", "^=", "*=", "|="])} (${operand()} as ${TYPE[v]});`);
    }
  }
  return out;
}

function source(body: string[]): string {
  return `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, info, u8, u16, u32, i16 } from "tsebpf";
export function xdp_flow(ctx: XdpContext): XdpAction {
${UDP_PROLOGUE}  const ttl: u8 = ip.ttl;
  const port: u16 = udp.dstPort;
  let x: u32 = 1;
  let y: i16 = 2;
  let z: u8 = 3;
${body.map((s) => "  " + s).join("\n")}
  info(\`\${x} \${y} \${z}\`);
  return XdpAction.Pass;
}
`;
}

describe.skipIf(!haveKernel)("control flow: compiled code against a reference interpreter", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 10, 25])("random statements, seed %i", (seed) => {
    const r = rng(seed);
    const text = source(gen(r, 3));
    const object = compileDsl(text, "flow.ts", { showSource: true });
    const ast = parseProgram(text, "flow.ts").ast;
    for (const [ttl, port] of [
      [64, 53],
      [3, 7],
      [200, 40000],
    ] as const) {
      const pkt = frame({ proto: 17, dstPort: port });
      pkt[22] = ttl;
      const want = interpretOnce(ast, "xdp_flow", pkt);
      const {
        verdicts: [verdict],
        logs,
      } = runPackets(object, [pkt]);
      expect({ ttl, port, verdict, logs, text }).toEqual({ ttl, port, verdict: want.verdict, logs: want.logs, text });
    }
  });
});
