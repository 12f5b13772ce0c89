// Differential test of integer semantics: random expressions over typed locals (u8..u64, i8..i64)
// are compiled, run in the kernel and logged; the expected values come from an independent
// BigInt evaluator that follows the checker's types (every operation wraps to its result type).
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { rng } from "./helpers/rng.js";
import { UDP_PROLOGUE, compileDsl } from "./helpers/dsl.js";
import { runPackets } from "./helpers/run.js";
import { parseProgram } from "../compiler/dsl/parser.js";
import { checkProgram } from "../compiler/dsl/checker.js";
import type * as A from "../compiler/dsl/ast.js";
import { formatArg } from "../loader/logs.js";
import { frame } from "./helpers/packets.js";

const LOCALS: [string, string, string][] = [
  ["a", "u8", "ip.ttl"], ["b", "u16", "udp.dstPort"], ["c", "u32", "ip.srcAddr"], ["d", "u64", "eth.srcMac"],
  ["e", "i8", "ip.ttl as i8"], ["f", "i16", "udp.srcPort as i16"], ["g", "i32", "ip.srcAddr as i32"], ["h", "i64", "-(eth.srcMac as i64)"],
];
const TYPES = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"];
const OPS = ["+", "-", "*", "&", "|", "^", "+", "-", "*"];

/** A random expression; literals only as right operands, so no subtree folds to an out-of-range constant. */
function genExpr(r: () => number, depth: number, lit = false): string {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  if (depth === 0 || r() < 0.25) return lit && r() < 0.3 ? String(Math.floor(r() * 60)) : pick(LOCALS)[0];
  const k = r();
  if (k < 0.12) return `(${genExpr(r, depth - 1)} as ${pick(TYPES)})`;
  if (k < 0.2) return `(${genExpr(r, depth - 1)} ${pick(["<<", ">>"])} ${Math.floor(r() * 8)})`;
  if (k < 0.26) return `(${pick(["-", "~"])}${genExpr(r, depth - 1)})`;
  if (k < 0.3) return `(${genExpr(r, depth - 1)} / ${1 + Math.floor(r() * 9)})`;
  if (k < 0.36) return `(${genCond(r, depth - 1)} ? ${genExpr(r, depth - 1)} : ${genExpr(r, depth - 1, true)})`;
  return `(${genExpr(r, depth - 1)} ${pick(OPS)} ${genExpr(r, depth - 1, true)})`;
}

function genCond(r: () => number, depth: number): string {
  const k = r();
  if (depth > 0 && k < 0.2) return `(${genCond(r, depth - 1)} ${r() < 0.5 ? "&&" : "||"} ${genCond(r, depth - 1)})`;
  if (depth > 0 && k < 0.25) return `!${genCond(r, depth - 1)}`;
  const ops = ["<", "<=", ">", ">=", "===", "!=="];
  return `(${genExpr(r, Math.max(0, depth - 1))} ${ops[Math.floor(r() * ops.length)]} ${genExpr(r, Math.max(0, depth - 1), true)})`;
}

function source(exprs: string[]): string {
  const logs: string[] = [];
  for (let i = 0; i < exprs.length; i += 6) logs.push(`  info(\`${exprs.slice(i, i + 6).map((e) => `\${${e}}`).join(" ")}\`);`);
  return `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, info, u8, u16, u32, u64, i8, i16, i32, i64 } from "tsebpf";
export function xdp_arith(ctx: XdpContext): XdpAction {
${UDP_PROLOGUE}${LOCALS.map(([n, t, init]) => `  const ${n}: ${t} = ${init};`).join("\n")}
${logs.join("\n")}
  return XdpAction.Pass;
}
`;
}

// ---------------------------------------------------------------- the reference evaluator

const wrap = (v: bigint, t: A.Type | undefined): bigint => {
  if (t?.kind !== "int") return v;
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
};

function evaluate(e: A.Expr, env: Map<string, bigint>): bigint {
  if (e.constValue !== undefined) return e.constValue;
  switch (e.kind) {
    case "IntLiteral": return wrap(e.value, e.type);
    case "ConditionalExpr": return wrap(evaluate(e.test, env) ? evaluate(e.then, env) : evaluate(e.else, env), e.type);
    case "LogicalExpr": {
      const l = evaluate(e.left, env);
      if (e.op === "&&") return l ? evaluate(e.right, env) : 0n;
      return l ? 1n : evaluate(e.right, env);
    }
    case "Identifier": return env.get(e.name)!;
    case "AsExpr": return wrap(evaluate(e.expr, env), e.type);
    case "UnaryExpr": {
      if (e.op === "!") return evaluate(e.operand, env) ? 0n : 1n;
      const v = wrap(evaluate(e.operand, env), e.type);
      return wrap(e.op === "-" ? -v : e.op === "~" ? ~v : v, e.type);
    }
    case "BinaryExpr": {
      if (["<", "<=", ">", ">=", "===", "!=="].includes(e.op)) {
        const lt = e.left.type as A.IntType, rt = e.right.type as A.IntType;
        const w = lt.bits !== rt.bits ? (lt.bits > rt.bits ? lt : rt) : lt.signed ? lt : rt;
        const l = wrap(evaluate(e.left, env), w), r = wrap(evaluate(e.right, env), w);
        const res = e.op === "<" ? l < r : e.op === "<=" ? l <= r : e.op === ">" ? l > r : e.op === ">=" ? l >= r : e.op === "===" ? l === r : l !== r;
        return res ? 1n : 0n;
      }
      const t = e.type as A.IntType;
      const l = wrap(evaluate(e.left, env), t);
      const rr = evaluate(e.right, env);
      const r = e.op === "<<" || e.op === ">>" ? rr : wrap(rr, t);
      switch (e.op) {
        case "+": return wrap(l + r, t);
        case "-": return wrap(l - r, t);
        case "*": return wrap(l * r, t);
        case "/": return wrap(l / r, t);
        case "&": return wrap(l & r, t);
        case "|": return wrap(l | r, t);
        case "^": return wrap(l ^ r, t);
        case "<<": return wrap(l << r, t);
        case ">>": return wrap(l >> r, t);
      }
    }
  }
  throw new Error(`evaluator: unsupported ${e.kind}`);
}

function findLogs(n: unknown, out: A.LogArg[][] = []): A.LogArg[][] {
  if (!n || typeof n !== "object") return out;
  const c = n as A.CallExpr;
  if (c.kind === "CallExpr" && c.callee?.kind === "log") out.push(c.callee.args);
  for (const [k, v] of Object.entries(n)) if (k !== "binding" && k !== "callee" && k !== "type" && k !== "member") findLogs(v, out);
  return out;
}

describe.skipIf(!haveKernel)("integer semantics: compiled code against a reference evaluator", () => {
  it.each([1, 2, 3, 4, 5, 6])("random expressions, seed %i", (seed) => {
    const r = rng(seed);
    const exprs = Array.from({ length: 48 }, (_, i) => (i % 8 === 7 ? genCond(r, 2) : genExpr(r, 3)));
    const text = source(exprs);
    const object = compileDsl(text, "arith.ts");
    // the packet: ttl 200, UDP 40000 → 53, from 198.51.100.1, source MAC 02:00:00:00:00:01
    const pkt = frame({ proto: 17, srcPort: 40000, dstPort: 53 });
    pkt[22] = 200;
    const ttl = 200n, dport = 53n, sport = 40000n, src = 0xc6336401n, mac = 0x020000000001n;
    const env = new Map<string, bigint>([
      ["a", ttl], ["b", dport], ["c", src], ["d", mac],
      ["e", BigInt.asIntN(8, ttl)], ["f", BigInt.asIntN(16, sport)], ["g", BigInt.asIntN(32, src)], ["h", -mac],
    ]);
    const checked = checkProgram(parseProgram(text, "arith.ts").ast);
    const expected = findLogs(checked.program!.programs[0]!.body).map((args) => args.map((a) => formatArg(a.kind, BigInt.asUintN(64, evaluate(a.expr, env)))).join(" "));

    const { verdicts: [verdict], logs: got } = runPackets(object, [pkt]);
    expect(verdict).toBe(2);
    const lines = got.map((g, i) => ({ exprs: exprs.slice(i * 6, i * 6 + 6), got: g }));
    expect(lines).toEqual(expected.map((x, i) => ({ exprs: exprs.slice(i * 6, i * 6 + 6), got: x })));
  });
});
