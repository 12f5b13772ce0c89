// Checker: annotations the back end relies on (types, bindings, call/member targets, constants,
// loop trip counts, program lists), the flow-sensitive null checks and the hint for a null-only variable.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { checkProgram } from "../compiler/dsl/check/checker.js";
import type * as A from "../compiler/dsl/ast.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { XDP_HEAD, checkDiags } from "./helpers/dsl.js";
import { compileToObject } from "../compiler/dsl/index.js";

const IMPORTS = `import { XdpContext, XdpAction, HashMap, ArrayMap, RingBuf, EthHdr, Ipv4Hdr, TcpHdr, ETH_P_IP, IPPROTO_TCP,
  u8, u16, u32, u64, i32, i64, bool, info, warn, ipv4, hex, mac, ktimeNs, redirect } from "tsebpf";\n`;

function check(src: string, withImports = true) {
  const text = (withImports ? IMPORTS : "") + src;
  const p = parseProgram(text, "t.ts");
  expect(p.diagnostics.map(formatCompact)).toEqual([]);
  const c = checkProgram(p.ast);
  return { ...c, errors: c.diagnostics.map((d) => `${d.span!.line - (withImports ? 2 : 0)}: ${d.code} ${d.message}`) };
}

const xdp = (body: string, pre = "") => `${pre}\nexport function xdp_t(ctx: XdpContext): XdpAction {\n${body}\n}`;
const codes = (src: string) => check(src).diagnostics.map((d) => d.code);

/** Find every node of a kind in a function body. */
function find<K extends A.Expr["kind"]>(root: unknown, kind: K): Extract<A.Expr, { kind: K }>[] {
  const out: Extract<A.Expr, { kind: K }>[] = [];
  const seen = new Set<unknown>();
  const walk = (n: unknown): void => {
    if (!n || typeof n !== "object" || seen.has(n)) return;
    seen.add(n);
    if ((n as { kind?: string }).kind === kind) out.push(n as Extract<A.Expr, { kind: K }>);
    for (const [k, v] of Object.entries(n))
      if (k !== "binding" && k !== "decl" && k !== "map" && k !== "func" && k !== "callees" && k !== "callee") walk(v);
  };
  walk(root);
  return out;
}

describe("checked firewall", () => {
  const text = readFileSync("fixtures/dsl-samples/firewall.ts", "utf8");
  const { program, diagnostics } = checkProgram(parseProgram(text, "firewall.ts").ast);

  it("has no diagnostics and one program, one map", () => {
    expect(diagnostics).toEqual([]);
    expect(program.programs.map((p) => p.name)).toEqual(["xdp_firewall"]);
    expect(program.programs[0]!.role).toBe("xdp");
    expect(
      program.maps.map((m) => [m.name, m.maxEntries, m.type?.mapKind, m.type?.key.name, m.type?.value.name]),
    ).toEqual([["BLOCKLIST", 1024, "HashMap", "u32", "u32"]]);
  });

  it("annotates header reads, ctx.header calls, map calls and the log call", () => {
    const f = program.programs[0]!;
    const members = find(f.body, "MemberExpr");
    const etherType = members.find((m) => m.property === "etherType")!;
    expect(etherType.member).toEqual({
      kind: "headerField",
      header: "EthHdr",
      field: "etherType",
      offset: 12,
      size: 2,
      type: expect.objectContaining({ name: "u16" }),
      bitOffset: undefined,
      bitWidth: undefined,
    });
    expect(etherType.type).toMatchObject({ kind: "int", name: "u16" });
    const size = members.find((m) => m.property === "size")!;
    expect(size.constValue).toBe(14n);
    const calls = find(f.body, "CallExpr");
    const headers = calls.filter((c) => c.callee?.kind === "ctxMethod");
    expect(headers.map((c) => (c.callee as { header: string }).header)).toEqual(["EthHdr", "Ipv4Hdr"]);
    expect(headers[0]!.type).toEqual({ kind: "nullable", inner: { kind: "header", header: "EthHdr" } });
    const has = calls.find((c) => c.callee?.kind === "mapMethod")!;
    expect(has.callee).toMatchObject({ kind: "mapMethod", method: "has", map: { name: "BLOCKLIST" } });
    expect(has.type).toEqual({ kind: "bool" });
    const log = calls.find((c) => c.callee?.kind === "log")!;
    const target = log.callee as Extract<A.CallTarget, { kind: "log" }>;
    expect(target.level).toBe(3);
    expect(target.pieces).toEqual(["SRC: ", ", ACTION: ", ""]);
    expect(target.args.map((a) => a.kind)).toEqual(["ipv4", "u64"]);
    expect(target.args[0]!.expr).toMatchObject({ kind: "MemberExpr", property: "srcAddr", type: { name: "u32" } });
  });

  it("narrows header views after null checks", () => {
    const f = program.programs[0]!;
    const ids = find(f.body, "Identifier").filter((i) => i.name === "eth");
    expect(ids.map((i) => i.type?.kind)).toEqual(["nullable", "header"]);
    expect(ids[0]!.binding).toBe(ids[1]!.binding);
    expect(ids[0]!.binding).toMatchObject({ kind: "local", mutable: false, name: "eth" });
    const actions = find(f.body, "Identifier").filter((i) => i.name === "XdpAction");
    expect(actions.length).toBeGreaterThan(2);
    for (const a of actions) expect(a.binding).toBe(actions[0]!.binding);
  });
});

describe("types and constants", () => {
  it("folds constants and gives literals the other operand's type", () => {
    const { program, errors } = check(
      xdp(
        `const a: u8 = 200;
const b = a + 50;
const c = (1 << 4) | 3;
let d: u64 = 0xffff_ffff_ffff_ffff;
const e: i32 = -1;
return XdpAction.Pass;`,
        "const K = 6 * 7;",
      ),
    );
    expect(errors).toEqual([]);
    const decls = find(program.programs[0]!.body, "BinaryExpr");
    expect(decls[0]!.type).toMatchObject({ name: "u8" }); // a + 50 is a u8 expression
    expect(decls[0]!.right.constValue).toBe(50n);
    expect(decls[0]!.constValue).toBe(250n);
    expect(program.consts[0]).toMatchObject({ name: "K", value: 42n, type: { name: "u32" } });
    const c = program.programs[0]!.body.body[2] as A.VarDecl;
    expect(c.init!.constValue).toBe(19n);
    const d = program.programs[0]!.body.body[3] as A.VarDecl;
    expect(d.init!.constValue).toBe(0xffffffffffffffffn);
    const e = program.programs[0]!.body.body[4] as A.VarDecl;
    expect(e.init!.constValue).toBe(-1n);
  });

  it("widens implicitly, narrows only with as", () => {
    expect(check(xdp(`const a: u8 = 1;\nconst b: u32 = a;\nconst c: i64 = b;\nreturn XdpAction.Pass;`)).errors).toEqual(
      [],
    );
    expect(check(xdp(`const a: u32 = 1;\nconst b: u8 = a;\nreturn XdpAction.Pass;`)).errors).toEqual([
      "4: TS2322 Type 'u32' is not assignable to type 'u8'. Convert explicitly with 'as u8'.",
    ]);
    expect(check(xdp(`const a: u32 = 1;\nconst b: i32 = a;\nreturn XdpAction.Pass;`)).errors).toEqual([
      "4: TS2322 Type 'u32' is not assignable to type 'i32'. Convert explicitly with 'as i32'.",
    ]);
    expect(
      check(xdp(`const a: u32 = 300;\nconst b: u8 = a as u8;\nconst c = -1 as u8;\nreturn XdpAction.Pass;`)).errors,
    ).toEqual([]);
  });

  it("mixed arithmetic promotes like C", () => {
    const { program } = check(
      xdp(
        `const a: u8 = 1;\nconst b: u32 = 2;\nconst c: i32 = 3;\nconst x = a + b;\nconst y = b + c;\nconst z = c * a;\nreturn XdpAction.Pass;`,
      ),
    );
    const types = find(program.programs[0]!.body, "BinaryExpr").map((b) => (b.type as A.IntType).name);
    expect(types).toEqual(["u32", "u32", "i32"]);
  });

  it("rejects strings outside logs, bool arithmetic, comparing header views with ints", () => {
    expect(codes(xdp(`const s = "x";\nreturn XdpAction.Pass;`))).toEqual(["TSB9008"]);
    expect(codes(xdp(`const t = true;\nconst u = t * 2;\nreturn XdpAction.Pass;`))).toEqual(["TS2365"]);
    expect(
      codes(
        xdp(
          `const e = ctx.header(EthHdr, 0);\nif (e === null) return XdpAction.Pass;\nif (e === 1) return XdpAction.Drop;\nreturn XdpAction.Pass;`,
        ),
      ),
    ).toEqual(["TS2367"]);
  });

  it("requires imports for catalogue names and suggests them", () => {
    const r = check(`export function xdp_t(ctx: XdpContext): XdpAction { return XdpAction.Pass; }`, false);
    expect(r.errors).toEqual([
      "1: TS2304 Cannot find name 'XdpContext'. Import it: import { XdpContext } from \"tsebpf\".",
      "1: TS2304 Cannot find name 'XdpAction'. Import it: import { XdpAction } from \"tsebpf\".",
      "1: TS2304 Cannot find name 'XdpAction'. Import it: import { XdpAction } from \"tsebpf\".",
    ]);
  });
});

describe("null checks (flow-sensitive)", () => {
  const ok = (body: string) => expect(check(xdp(body)).errors).toEqual([]);
  const bad = (body: string) => expect(codes(xdp(body))).toContain("TS18047");

  it("accepts early return, guarded block, || and && chains, !x, ternaries", () => {
    ok(
      `const e = ctx.header(EthHdr, 0);\nif (e === null) return XdpAction.Pass;\nreturn e.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`,
    );
    ok(
      `const e = ctx.header(EthHdr, 0);\nif (e !== null) {\n if (e.etherType === ETH_P_IP) return XdpAction.Drop;\n}\nreturn XdpAction.Pass;`,
    );
    ok(
      `const e = ctx.header(EthHdr, 0);\nif (e === null || e.etherType !== ETH_P_IP) return XdpAction.Pass;\nreturn e.srcMac > 5 ? XdpAction.Drop : XdpAction.Pass;`,
    );
    ok(
      `const e = ctx.header(EthHdr, 0);\nif (e !== null && e.etherType === 8) return XdpAction.Drop;\nreturn XdpAction.Pass;`,
    );
    ok(
      `const e = ctx.header(EthHdr, 0);\nif (!e) return XdpAction.Aborted;\nreturn e.etherType > 0 ? XdpAction.Pass : XdpAction.Drop;`,
    );
    ok(`const e = ctx.header(EthHdr, 0);\nreturn e !== null && e.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`);
    ok(
      `const e = ctx.header(EthHdr, 0);\nif (e === null) { return XdpAction.Pass; } else { info(\`\${e.etherType}\`); }\nreturn e.etherType === 0 ? XdpAction.Drop : XdpAction.Pass;`,
    );
  });

  it("rejects reads outside the checked region", () => {
    bad(
      `const e = ctx.header(EthHdr, 0);\nif (e !== null) { info("x"); }\nreturn e.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`,
    );
    bad(
      `const e = ctx.header(EthHdr, 0);\nif (e === null || e.etherType === 1) info("x");\nreturn e.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`,
    );
    bad(
      `const e = ctx.header(EthHdr, 0);\nif (e === null && e.etherType === 1) return XdpAction.Drop;\nreturn XdpAction.Pass;`,
    );
    bad(
      `let e = ctx.header(EthHdr, 0);\nif (e === null) return XdpAction.Pass;\ne = ctx.header(EthHdr, 2);\nreturn e.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`,
    );
    ok(
      `let e = ctx.header(EthHdr, 0);\nconst f = ctx.header(EthHdr, 2);\nif (f === null) return XdpAction.Pass;\ne = f;\nreturn e.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`,
    );
    expect(codes(xdp(`return ctx.header(EthHdr, 0).etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`))).toEqual([
      "TS2531",
    ]);
  });

  it("ctx.adjustHead/adjustTail invalidate earlier views, also through helpers and loop iterations", () => {
    const view = `const e = ctx.header(EthHdr, 0);\nif (e === null) return XdpAction.Pass;\n`;
    expect(
      codes(xdp(`${view}ctx.adjustTail(-4);\nreturn e.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`)),
    ).toEqual(["TSB9015"]);
    expect(
      codes(
        xdp(
          `${view}shrink(ctx);\nreturn e.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`,
          "function shrink(c: XdpContext): void { c.adjustTail(-1); }",
        ),
      ),
    ).toEqual(["TSB9015"]);
    expect(
      codes(
        xdp(
          `${view}for (let i = 0; i < 2; i++) { info(\`\${e.etherType}\`); ctx.adjustHead(1); }\nreturn XdpAction.Pass;`,
        ),
      ),
    ).toEqual(["TSB9015"]);
    expect(
      check(
        xdp(
          `${view}ctx.adjustHead(2);\nconst f = ctx.header(EthHdr, 0);\nreturn f !== null && f.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`,
        ),
      ).errors,
    ).toEqual([]);
  });

  it("a path that returns adds no facts after it: the join after the if, after a loop, after a switch", () => {
    const pre = "interface V { n: u32; }\nexport const M = new HashMap<u32, V>(16);";
    const ref = "const v = M.get(1);\nif (v === null) return XdpAction.Pass;\n";
    const use = "return v.n > 5 ? XdpAction.Pass : XdpAction.Drop;";
    // M.delete only where the path returns: v is not stale after the if or the loop (the loop made every map
    // its body writes stale at its head, returning paths too: TSB9055 on a valid program)
    const returns = "if (ctx.length > 100) { M.delete(1); return XdpAction.Drop; }";
    expect(codes(xdp(`${ref}${returns}\n${use}`, pre))).toEqual([]);
    expect(codes(xdp(`${ref}for (let i: u32 = 0; i < 3; i++) {\n${returns}\n}\n${use}`, pre))).toEqual([]);
    expect(
      codes(xdp(`${ref}switch (ctx.length) {\ncase 60: M.delete(1); return XdpAction.Drop;\n}\n${use}`, pre)),
    ).toEqual([]);
    // on a path that goes round or leaves the loop it is stale: in the body the next time round and after it
    const loop = (body: string) => `${ref}for (let i: u32 = 0; i < 3; i++) {\n${body}\n}\n`;
    expect(
      codes(
        xdp(
          `${loop("if (v.n > 3) return XdpAction.Tx;\nif (ctx.length > 100) M.delete(1);")}return XdpAction.Pass;`,
          pre,
        ),
      ),
    ).toEqual(["TSB9055"]);
    expect(codes(xdp(`${loop("if (ctx.length > 100) { M.delete(1); break; }")}${use}`, pre))).toEqual(["TSB9055"]);
    expect(
      codes(
        xdp(
          `${loop("if (ctx.length > 100) { M.delete(1); continue; }\nif (v.n > 3) return XdpAction.Tx;")}return XdpAction.Pass;`,
          pre,
        ),
      ),
    ).toEqual(["TSB9055"]);
    expect(codes(xdp(`${loop("if (ctx.length > 100) M.delete(1);")}${use}`, pre))).toEqual(["TSB9055"]);
    // a view checked, a packet adjusted, only where the path returns: nothing of it after the if or the loop
    const view = "const e = ctx.header(EthHdr, 0);\n";
    const read = "return e.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;";
    expect(
      codes(xdp(`${view}if (ctx.length > 9) { if (e === null) return XdpAction.Pass; return XdpAction.Tx; }\n${read}`)),
    ).toEqual(["TS18047"]);
    expect(
      codes(xdp(`${view}for (let i: u32 = 0; i < 2; i++) { if (e !== null) return XdpAction.Tx; }\n${read}`)),
    ).toEqual(["TS18047"]);
    const checked = `${view}if (e === null) return XdpAction.Pass;\n`;
    expect(
      codes(
        xdp(
          `${checked}for (let i: u32 = 0; i < 2; i++) { if (ctx.length > 9) { ctx.adjustHead(4); return XdpAction.Tx; } }\n${read}`,
        ),
      ),
    ).toEqual([]);
    // code after a return in the same block sees that path's facts (e is not null there) but is unreachable:
    // checked, never emitted (the program compiles)
    const dead = `${view}if (e !== null) {\nreturn XdpAction.Tx;\ninfo(\`\${e.etherType}\`);\n}\nreturn XdpAction.Pass;`;
    expect(codes(xdp(dead))).toEqual([]);
    expect(compileToObject(IMPORTS + xdp(dead), "t.ts", { sectionStyle: "tsebpf" }).diagnostics).toEqual([]);
  });

  it("map values: get() may be null; ?? supplies a default", () => {
    const pre = "export const M = new HashMap<u32, u64>(16);";
    expect(
      check(
        xdp(
          `const v = M.get(1);\nif (v !== null && v > 10) return XdpAction.Drop;\nconst w = M.get(2) ?? 0;\nM.set(2, w + 1);\nreturn XdpAction.Pass;`,
          pre,
        ),
      ).errors,
    ).toEqual([]);
    expect(codes(xdp(`const v = M.get(1);\nconst w = v + 1;\nreturn XdpAction.Pass;`, pre))).toEqual(["TS18047"]);
  });
});

describe("program shape and functions", () => {
  it("lists reachable helpers callees-first, records callees, rejects recursion", () => {
    const { program, errors } = check(`function a(x: u32): u32 { return x + 1; }
function b(x: u32): u32 { return a(x) * 2; }
function unused(): void {}
export function xdp_t(ctx: XdpContext): XdpAction { return b(1) > 2 ? XdpAction.Drop : XdpAction.Pass; }`);
    expect(errors).toEqual([]);
    expect(program.functions.map((f) => f.name)).toEqual(["a", "b"]);
    expect(program.functions[1]!.callees!.map((f) => f.name)).toEqual(["a"]);
    const call = find(program.programs[0]!.body, "CallExpr")[0]!;
    expect(call.callee).toMatchObject({ kind: "function", decl: { name: "b" } });
    expect(call.type).toMatchObject({ name: "u32" });
  });

  it("requires an XDP program and the right signature", () => {
    expect(codes(`function f(): void {}`)).toEqual(["TSB9016"]);
    expect(codes(`export function xdp_t(ctx: XdpContext, n: u32): XdpAction { return XdpAction.Pass; }`)).toContain(
      "TSB9011",
    );
    expect(codes(`export function xdp_t(ctx: XdpContext): XdpAction { info("x"); }`)).toEqual(["TS2366"]);
  });

  it("for loops: trip counts; bounds must be constants; the counter is read-only in the body", () => {
    const { program, errors } = check(
      xdp(
        `let s: u32 = 0;\nfor (let i = 0; i < 8; i++) s += i;\nfor (let j = 10; j > 2; j -= 3) s += j;\nfor (let k = 0; k <= 4; k += 2) s += k;\nreturn XdpAction.Pass;`,
        "const N = 4;",
      ),
    );
    expect(errors).toEqual([]);
    const loops = program.programs[0]!.body.body.filter((s): s is A.For => s.kind === "For");
    expect(loops.map((l) => l.maxTrips)).toEqual([8, 3, 3]);
    expect(codes(xdp(`let s: u32 = 0;\nfor (let i = 0; i < ctx.length; i++) s += i;\nreturn XdpAction.Pass;`))).toEqual(
      ["TSB9010"],
    );
    expect(codes(xdp(`let s: u32 = 0;\nfor (let i = 0; i < 8; i++) i += 1;\nreturn XdpAction.Pass;`))).toEqual([
      "TSB9010",
    ]);
    expect(codes(xdp(`for (let i = 0; i < 8; i--) info("x");\nreturn XdpAction.Pass;`))).toEqual(["TSB9010"]);
  });

  it("helpers, ctx methods, logs with formatters", () => {
    const { program, errors } = check(
      xdp(
        `const t = ktimeNs();\nconst e = ctx.header(EthHdr, 0);\nif (e === null) return redirect(2);\nwarn(\`\${mac(e.srcMac)} \${hex(t)} \${t > 5} \${ctx.length}\`);\nreturn XdpAction.Pass;`,
      ),
    );
    expect(errors).toEqual([]);
    const calls = find(program.programs[0]!.body, "CallExpr");
    expect(calls[0]!.callee).toEqual({ kind: "helper", name: "ktimeNs" });
    expect(calls[0]!.type).toMatchObject({ name: "u64" });
    const log = calls.find((c) => c.callee?.kind === "log")!.callee as Extract<A.CallTarget, { kind: "log" }>;
    expect(log.args.map((a) => a.kind)).toEqual(["mac", "hex", "bool", "u64"]);
    expect(log.level).toBe(2);
  });

  it("calls a helper declared later without a return annotation", () => {
    expect(
      check(
        `export function xdp_t(ctx: XdpContext): XdpAction { note(); return XdpAction.Pass; }\nfunction note() { info("x"); }`,
      ).errors,
    ).toEqual([]);
    expect(
      codes(
        `export function xdp_t(ctx: XdpContext): XdpAction { return two() > 1 ? XdpAction.Pass : XdpAction.Drop; }\nfunction two() { return 2; }`,
      ),
    ).toEqual(["TSB9011"]);
  });

  it("the samples and the example programs check cleanly", () => {
    const programs = readdirSync("programs")
      .filter((f) => f.endsWith(".ts"))
      .map((f) => `programs/${f}`);
    for (const path of [
      "fixtures/dsl-samples/hello.ts",
      "fixtures/dsl-samples/firewall.ts",
      "fixtures/dsl-samples/kitchen-sink.ts",
      ...programs,
    ]) {
      const p = parseProgram(readFileSync(path, "utf8"), path);
      const c = checkProgram(p.ast);
      expect([...p.diagnostics, ...c.diagnostics].map(formatCompact)).toEqual([]);
    }
  });
});

describe("unsupported TypeScript: each construct gets its own clear diagnostic", () => {
  const cases: [string, string, string][] = [
    ["class C {}", "TSB9002", "Classes"],
    ["const f = (x: u32) => x;", "TSB9003", "Arrow functions"],
    ["const f = x => x;", "TSB9003", "Arrow functions"],
    ["const f = function () {};", "TSB9003", "Function expressions"],
    ["function g(): void {}", "TSB9003", "Nested functions"],
    ["while (true) {}", "TSB9010", "no counter bound"],
    ["do {} while (true);", "TSB9010", "no counter bound"],
    ["const o = {};", "TSB9051", "An object literal needs a struct type"],
    ["const a = [1];", "TSB9052", "An array literal needs a FixedArray type"],
    ["const v = ctx[0];", "TSB9052", "Only FixedArray values can be indexed"],
    ["const e = ctx.header(EthHdr, 0)!;", "TSB9012", "Non-null"],
    ["const e = ctx.header(EthHdr, 0)?.etherType;", "TSB9012", "Optional chaining"],
    ["const f = 2.5;", "TSB9012", "Floating-point"],
    ["const t = this;", "TSB9012", "'this'"],
    ["const t = typeof ctx;", "TSB9012", "'typeof'"],
    ["break;", "TS1105", "'break' statement can only be used within"],
    ["if (ctx.length > 2) { continue; }", "TS1104", "'continue' statement can only be used within"],
    ["throw 1;", "TSB9012", "'throw'"],
    ["switch (ctx) {}", "TSB9021", "'switch' needs an integer"],
    ["try {} catch (e) {}", "TSB9012", "'try'"],
    ["interface I {}", "TSB9012", "Interfaces"],
    ["enum E { A }", "TSB9012", "Enums"],
    ["type T = u32;", "TSB9012", "Type aliases"],
    ["let x: u32 = 0;\nconst y = (x = 2);", "TSB9012", "Assignments are only allowed"],
    ["let x: u32 = 0;\nconst y = x++;", "TSB9012", "'++'"],
    ["var x = 1;", "TSB9018", "'var'"],
    ["const s = 'x';", "TSB9008", "String values"],
    ["const n: number = 1;", "TSB9012", "'number' is too vague"],
    ["const a: any = 1;", "TSB9009", "'any'"],
    ["const m = new HashMap<u32, u32>(4);", "TSB9013", "'new' is only allowed"],
    ["const x = await ktimeNs();", "TSB9006", "'await'"],
  ];
  for (const [code, want, text] of cases) {
    it(`${code.split("\n").pop()} → ${want}`, () => {
      const r = check(xdp(`${code}\nreturn XdpAction.Pass;`));
      const hit = r.diagnostics.find((d) => d.code === want);
      expect(hit?.message, r.errors.join("\n")).toContain(text);
      expect(hit!.span!.line).toBe(4 + code.split("\n").length);
    });
  }
});

describe("control flow: each misuse gets its own diagnostic", () => {
  const cases: [string, string, string][] = [
    [
      "outer: for (let i = 0; i < 2; i++) { outer: for (let j = 0; j < 2; j++) {} }",
      "TS1114",
      "Duplicate label 'outer'",
    ],
    ["switch (ctx.length) { default: break; default: break; }", "TS1113", "'default' clause cannot appear more"],
    ["lab: { continue lab; }", "TS1115", "label of an enclosing iteration statement"],
    ["for (let i = 0; i < 2; i++) { break nowhere; }", "TS1116", "label of an enclosing statement"],
    ["switch (ctx.length) { case 1: case 1: break; }", "TSB9021", "Duplicate case 1"],
    ["switch (ctx.length) { case ctx.length: break; }", "TSB9021", "compile-time integer constant"],
    ["let i: u32 = 0;\nwhile (i < 8) { for (let j = 0; j < 2; j++) i++; }", "TSB9004", "nested loop"],
    ["let i: u32 = 0;\nwhile (i < 8) i--;", "TSB9004", "must move toward its bound"],
    ["let i: i32 = 0;\nwhile (i < 8) i++;", "TSB9010", "may run 2147483656 times"],
    ["for (let i: u8 = 0; i < 300; i++) {}", "TSB9010", "does not fit"],
    ["let i: u8 = 0;\nwhile (i < 250) i += 10;", "TSB9010", "wrap around its type 'u8'"],
    ["for (let i = 0; ctx.length > i; i++) {}", "TSB9010", "no counter bound"],
  ];
  for (const [code, want, text] of cases) {
    it(`${want}: ${code.split("\n").at(-1)}`, () => {
      const r = check(xdp(`${code}\nreturn XdpAction.Pass;`));
      expect(r.errors.join("\n")).toContain(`${want} `);
      expect(r.diagnostics.find((d) => d.code === want)?.message).toContain(text);
    });
  }

  it("accepts bounded while loops, runtime tests beside the bound, labels, switch fall-through", () => {
    const { program, errors } = check(
      xdp(`let i: u8 = 0;
while (i < 8 && ctx.length > 60) { i++; if (ctx.length > 90) continue; }
let k: u16 = 3;
do { k += 2; } while (k < 20);
let d: u8 = 10;
while (d >= 5) { if (ctx.length > 70) { d -= 2; continue; } d -= 3; }
outer: for (let a = 0; a < 4 && ctx.length > 10; a++) {
  switch (a) { case 0: continue outer; case 1: default: break outer; }
}
return XdpAction.Pass;`),
    );
    expect(errors).toEqual([]);
    const loops = program.programs[0]!.body.body.filter((s): s is A.While => s.kind === "While");
    expect(loops.map((l) => l.maxTrips)).toEqual([8, 11, 126]);
  });
});

describe("control flow and ring-buffer records", () => {
  it("a break or continue that leaves a held record behind is a leak; one after submit is not", () => {
    const src = (jump: string) => `import { XdpContext, XdpAction, RingBuf, u32 } from "tsebpf";
interface Ev { n: u32 }
export const R = new RingBuf<Ev>(4096);
export function xdp_t(ctx: XdpContext): XdpAction {
  for (let i = 0; i < 4; i++) {
    const e = R.reserve();
    if (e === null) continue;
    e.n = i;
    ${jump}
    R.submit(e);
  }
  return XdpAction.Pass;
}`;
    const diags = (jump: string) => check(src(jump), false).errors;
    expect(diags("if (ctx.length > 60) break;")).toEqual([
      expect.stringMatching(/^9: TSB\d+ The record reserved in 'e' .* that leaves here by 'break'/),
    ]);
    expect(diags("if (ctx.length > 60) continue;")).toEqual([expect.stringContaining("by 'continue'")]);
    expect(diags("if (ctx.length > 60) { R.submit(e); break; }")).toEqual([]);
  });
});

describe("hints", () => {
  it("the hint for a null-only variable suggests a form the back end compiles (not 'let h: Ipv4Hdr | null = null')", () => {
    const d = checkDiags(`export function xdp_t(ctx: XdpContext): XdpAction { let h = null; return XdpAction.Pass; }`);
    expect(d.length).toBe(1);
    expect(d[0]).toContain("'const h = ctx.header(Ipv4Hdr, EthHdr.size)'");
    expect(
      compileToObject(
        XDP_HEAD +
          `export function xdp_t(ctx: XdpContext): XdpAction { const h = ctx.header(Ipv4Hdr, EthHdr.size); return h === null ? XdpAction.Pass : XdpAction.Drop; }`,
        "t.ts",
        { sectionStyle: "tsebpf" },
      ).diagnostics,
    ).toEqual([]);
  });
});
