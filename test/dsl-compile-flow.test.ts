// Differential test of control flow: random statement sequences (let variables assigned in
// if/else chains, unrolled loops, early returns) are compiled, run in the kernel, and their logs
// compared with a reference interpreter over the checked AST. Exercises the lowering's per-path
// constants, the optimiser (propagation, dead stores, CFG merging) and register allocation.
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { rng } from "./helpers/rng.js";
import { UDP_PROLOGUE, compileDsl } from "./helpers/dsl.js";
import { runPackets } from "./helpers/run.js";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { checkProgram } from "../compiler/dsl/check/checker.js";
import type * as A from "../compiler/dsl/ast.js";
import { formatArg } from "../loader/logs.js";
import { frame } from "./helpers/packets.js";

const VARS = ["x", "y", "z"];
const TYPE: Record<string, string> = { x: "u32", y: "i16", z: "u8" };
const INPUTS = ["ttl", "port"];

function gen(r: () => number, depth: number, loopVar?: string): string[] {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
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
      out.push(`for (let ${v} = 0; ${v} < ${1 + Math.floor(r() * 4)}; ${v}++) {`, ...gen(r, depth - 1, v).map((s) => "  " + s), "}");
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

// ---------------------------------------------------------------- reference interpreter

const wrap = (v: bigint, t: A.Type | undefined): bigint =>
  t?.kind === "int" ? (t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v)) : t?.kind === "bool" ? (v ? 1n : 0n) : v;

class Return extends Error {
  constructor(readonly value: bigint) { super("return"); }
}

interface Env { vars: Map<A.Binding, bigint>; packet: Map<string, bigint>; logs: string[] }

function expr(e: A.Expr, env: Env): bigint {
  if (e.constValue !== undefined) return e.constValue;
  switch (e.kind) {
    case "IntLiteral": return wrap(e.value, e.type);
    case "Identifier": {
      const v = env.vars.get(e.binding!);
      if (v === undefined) throw new Error(`interpreter: ${e.name} unbound`);
      return v;
    }
    case "MemberExpr": {
      const v = env.packet.get(`${(e.object as A.Identifier).name}.${e.property}`);
      if (v === undefined) throw new Error(`interpreter: ${e.property}`);
      return v;
    }
    case "AsExpr": return wrap(expr(e.expr, env), e.type);
    case "BinaryExpr": {
      if (["<", "<=", ">", ">=", "===", "!=="].includes(e.op)) {
        const lt = e.left.type as A.IntType, rt = e.right.type as A.IntType;
        const w = lt.bits !== rt.bits ? (lt.bits > rt.bits ? lt : rt) : lt.signed ? lt : rt;
        const l = wrap(expr(e.left, env), w), r = wrap(expr(e.right, env), w);
        return (e.op === "<" ? l < r : e.op === "<=" ? l <= r : e.op === ">" ? l > r : e.op === ">=" ? l >= r : e.op === "===" ? l === r : l !== r) ? 1n : 0n;
      }
      return binary(e.op, expr(e.left, env), expr(e.right, env), e.type as A.IntType);
    }
  }
  throw new Error(`interpreter: unsupported ${e.kind}`);
}

function binary(op: string, a: bigint, b: bigint, t: A.IntType): bigint {
  const l = wrap(a, t), r = wrap(b, t);
  switch (op) {
    case "+": return wrap(l + r, t);
    case "-": return wrap(l - r, t);
    case "*": return wrap(l * r, t);
    case "^": return wrap(l ^ r, t);
    case "|": return wrap(l | r, t);
    case "&": return wrap(l & r, t);
  }
  throw new Error(`interpreter: operator ${op}`);
}

function stmt(s: A.Stmt, env: Env): void {
  switch (s.kind) {
    case "Block": for (const x of s.body) stmt(x, env); return;
    case "VarDecl": env.vars.set(s.binding!, wrap(expr(s.init!, env), (s.binding as { type: A.Type }).type)); return;
    case "Assign": {
      const b = (s.target as A.Identifier).binding!;
      const t = (b as { type: A.Type }).type as A.IntType;
      const v = expr(s.value, env);
      env.vars.set(b, s.op === "=" ? wrap(v, t) : binary(s.op.slice(0, -1), env.vars.get(b)!, v, t));
      return;
    }
    case "If": {
      if (expr(s.test, env)) stmt(s.then, env);
      else if (s.else) stmt(s.else, env);
      return;
    }
    case "For": {
      if (s.init) stmt(s.init, env);
      while (!s.test || expr(s.test, env)) {
        stmt(s.body, env);
        if (s.update) stmt(s.update, env);
      }
      return;
    }
    case "Return": throw new Return(s.value ? expr(s.value, env) : 0n);
    case "ExprStmt": {
      const c = s.expr as A.CallExpr;
      if (c.callee?.kind === "log") {
        const args = c.callee.args.map((a) => formatArg(a.kind, BigInt.asUintN(64, expr(a.expr, env))));
        env.logs.push(c.callee.pieces.map((p, i) => p + (args[i] ?? "")).join(""));
      }
      return;
    }
  }
  throw new Error(`interpreter: unsupported ${s.kind}`);
}

/** Run the program body after the three header checks (the test packet always passes them). */
function interpret(prog: A.FunctionDecl, packet: Map<string, bigint>): { verdict: number; logs: string[] } {
  const env: Env = { vars: new Map(), packet, logs: [] };
  const body = prog.body.body.filter((s) => !(s.kind === "VarDecl" && s.init?.kind === "CallExpr") && !(s.kind === "If"  && s.test.kind === "BinaryExpr" && s.test.right.kind === "NullLiteral"));
  try {
    for (const s of body) stmt(s, env);
  } catch (e) {
    if (e instanceof Return) return { verdict: Number(e.value), logs: env.logs };
    throw e;
  }
  throw new Error("interpreter: fell off the end");
}

describe.skipIf(!haveKernel)("control flow: compiled code against a reference interpreter", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 10, 25])("random statements, seed %i", (seed) => {
    const r = rng(seed);
    const text = source(gen(r, 3));
    const object = compileDsl(text, "flow.ts", { showSource: true });
    const prog = checkProgram(parseProgram(text, "flow.ts").ast).program!.programs[0]!;
    for (const [ttl, port] of [[64, 53], [3, 7], [200, 40000]] as const) {
      const pkt = frame({ proto: 17, dstPort: port });
      pkt[22] = ttl;
      const want = interpret(prog, new Map([["ip.ttl", BigInt(ttl)], ["udp.dstPort", BigInt(port)]]));
      const { verdicts: [verdict], logs } = runPackets(object, [pkt]);
      expect({ ttl, port, verdict, logs, text }).toEqual({ ttl, port, ...want, text });
    }
  });
});
