// The checker's side of the integer rule (compiler/dsl/int-rule.ts): constant folding in 64 bits,
// `as` keeps the operand's own value, and the rule's diagnostics (u64 compared with a signed value,
// constant shift counts outside 0..63, constants that do not fit their destination), in compact form;
// `as` of an out-of-range literal expression wraps.
import { describe, expect, it } from "vitest";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { checkProgram } from "../compiler/dsl/check/checker.js";
import type * as A from "../compiler/dsl/ast.js";
import { checkDiags } from "./helpers/dsl.js";

const HEAD = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, HashMap, u8, u16, u32, u64, i8, i16, i32, i64 } from "tsebpf";
export const M = new HashMap<u8, u16>(4);
export function xdp_t(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
`;
const LINE0 = HEAD.split("\n").length - 1;

/** Check a program body: its checked AST and its diagnostics as "line: CODE message" (lines of the body). */
function check(body: string): { errors: string[]; decls: A.VarDecl[] } {
  const p = parseProgram(`${HEAD}${body}\n  return XdpAction.Pass;\n}\n`, "t.ts");
  expect(p.diagnostics).toEqual([]);
  const c = checkProgram(p.ast);
  const fn = c.program?.programs[0];
  const decls = (fn?.body.body ?? []).filter((s): s is A.VarDecl => s.kind === "VarDecl");
  return { errors: c.diagnostics.map((d) => `${d.span!.line - LINE0}: ${d.code} ${d.message}`), decls };
}
const errors = (body: string): string[] => check(body).errors;
const folded = (body: string): (bigint | undefined)[] =>
  check(body)
    .decls.slice(2)
    .map((d) => d.init?.constValue);

describe("integer rule: checker", () => {
  it("accepts (1000 + ctx.length) as u8: 'as' keeps the operand's own type and value", () => {
    expect(
      errors(
        `  const a = (1000 + ctx.length) as u8;\n  const b: u8 = (ip.ttl + 1000) as u8;\n  const c = (0xfff0 + 0x20) as u16;`,
      ),
    ).toEqual([]);
    expect(folded(`  const c = (0xfff0 + 0x20) as u16;\n  const d = 300 as u8;\n  const e = -1 as u32;`)).toEqual([
      0x10n,
      44n,
      0xffffffffn,
    ]);
  });

  it("folds typed constants in 64 bits and narrows only where they are stored", () => {
    const { decls, errors: errs } = check(
      `  const k: u8 = 200;\n  const t: u32 = k + 200;\n  const s: u32 = k << 9;\n  const x: u16 = (k << 8) | 7;\n  const big: u32 = 0x80000000;\n  const z: i32 = 0;\n  const gt = big > z;\n  const m: i8 = -128;\n  const q = (m / -1) as i8;`,
    );
    expect(errs).toEqual([]);
    expect(decls.slice(3).map((d) => d.init?.constValue)).toEqual([
      400n,
      102400n,
      51207n,
      0x80000000n,
      0n,
      1n,
      -128n,
      -128n,
    ]);
  });

  it("keeps the static types: a u8 expression stores into a u8 without a cast", () => {
    expect(errors(`  const t: u8 = ip.ttl - 1;\n  let y: u8 = ip.ttl & ~1;\n  y &= ~1;\n  y -= 1;`)).toEqual([]);
    expect(errors(`  const t: u8 = ip.ttl + 300;`)).toEqual([
      "1: TS2322 Type 'u32' is not assignable to type 'u8'. Convert explicitly with 'as u8'.",
    ]);
    // a literal is typed by its sibling only, never by the context (was: u16 here, from the declaration)
    expect(errors(`  const t: u16 = 300 + ip.ttl;`)).toEqual([
      "1: TS2322 Type 'u32' is not assignable to type 'u16'. Convert explicitly with 'as u16'.",
    ]);
    const { decls } = check(`  const k: i8 = -7;
  const x: i32 = 0;
  const y = x + ((214 * k) >>> 0);`);
    expect(decls[4]!.init!.type).toMatchObject({ name: "u32" }); // 214 * k: u32 (214 does not fit i8), then i32 + u32
  });

  it("reports a constant that does not fit its destination", () => {
    expect(errors(`  const a: u8 = -1;`)).toEqual([
      "1: TS2322 Type '-1' is not assignable to type 'u8' (out of range).",
    ]);
    expect(errors(`  const k: u8 = 200;\n  const b = k + 100;`)).toEqual([
      "2: TS2322 Type '300' is not assignable to type 'u8' (out of range).",
    ]);
    expect(errors(`  const k: u32 = 0;\n  let c: u32 = 1;\n  c = k - 1;`)).toEqual([
      "3: TS2322 Type '-1' is not assignable to type 'u32' (out of range).",
    ]);
    expect(errors(`  M.set(256, 1);\n  M.set(1, -1);`)).toEqual([
      "1: TS2322 Type '256' is not assignable to type 'u8' (out of range).",
      "2: TS2322 Type '-1' is not assignable to type 'u16' (out of range).",
    ]);
  });

  it("asks for 'as' when a u64 is compared with a signed value that is not a non-negative constant", () => {
    const u64 = `  const a: u64 = ip.srcAddr;\n  const s: i32 = ip.ttl;\n`;
    expect(errors(`${u64}  const b = a > s;`)).toEqual([
      "3: TSB9030 Comparing a u64 with a signed value (i32) is ambiguous: convert one side with 'as' (e.g. 'as u64' or 'as i64').",
    ]);
    expect(errors(`${u64}  const b = a > -1;`)).toEqual([
      "3: TSB9030 Comparing a u64 with a signed value (i32) is ambiguous: convert one side with 'as' (e.g. 'as u64' or 'as i64').",
    ]);
    expect(errors(`${u64}  const b = -1 < a;`)).toEqual([
      "3: TSB9030 Comparing a u64 with a signed value (i32) is ambiguous: convert one side with 'as' (e.g. 'as u64' or 'as i64').",
    ]);
    expect(
      errors(`${u64}  const k: i64 = 5;\n  const b = a > k && a !== 7 && a > (s as u64) && (a as i64) > s;`),
    ).toEqual([]);
  });

  it("reports a constant shift count outside 0..63", () => {
    expect(
      errors(
        `  const a = ip.ttl << 64;\n  const b = ip.ttl >> -1;\n  const c = 1 << 70;\n  const d = ip.srcAddr >>> 63;`,
      ),
    ).toEqual([
      "1: TSB9030 The shift count 64 is outside 0..63.",
      "2: TSB9030 The shift count -1 is outside 0..63.",
      "3: TSB9030 The shift count 70 is outside 0..63.",
    ]);
  });
});

describe("integer rule: `as` of literal expressions", () => {
  it("`as` of an out-of-range literal expression wraps instead of reporting 'not assignable'", () => {
    expect(
      checkDiags(`export function xdp_t(ctx: XdpContext): XdpAction {
  const y: u16 = (0xfff0 + 0x20) as u16;
  const z: u8 = 300 as u8;
  const w: i8 = 200 as i8;
  return y === 16 && z === 44 && w === -56 ? XdpAction.Drop : XdpAction.Pass;
}`),
    ).toEqual([]);
  });
});
