// Hostile and unusual DSL input (issue 7 §6): names on Object.prototype, very long and very deep
// programs, a garbage line, CR / U+2028 line endings, valid code once falsely rejected, and the
// compiler messages of §7. Each case asserts the compact diagnostics (or a clean compile) of the
// whole compiler; `M.get` as a value is checked in the kernel.
import { describe, expect, it } from "vitest";
import { compileToInput } from "../compiler/dsl/index.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { rpo, type Func } from "../compiler/dsl/ir.js";
import { cli } from "./helpers/cli.js";
import { rng } from "./helpers/rng.js";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haveKernel } from "./helpers/env.js";
import { compileDsl } from "./helpers/dsl.js";
import { runPackets } from "./helpers/run.js";
import { frame } from "./helpers/packets.js";
import { suiteDir, withTempDir } from "./helpers/tmp.js";

const HEAD = `import { XdpContext, XdpAction, HashMap, EthHdr, IcmpHdr, u8, u32 } from "tsebpf";
export const M = new HashMap<u32, u32>(16);
`;
const xdp = (body: string, pre = "") =>
  `${HEAD}${pre}\nexport function xdp_t(ctx: XdpContext): XdpAction {\n${body}\n}\n`;

/** Compact diagnostics of a full compile (front and back end); [] when it compiles. */
function errors(text: string): string[] {
  return compileToInput(text, "t.ts", { sectionStyle: "tsebpf" }).diagnostics.map(formatCompact);
}

describe("names on Object.prototype are unknown names, not crashes", () => {
  const cases: [string, string][] = [
    [
      "const eth = ctx.header(EthHdr, 0);\n  if (eth === null) return XdpAction.Pass;\n  const c = eth.constructor;\n  return XdpAction.Pass;",
      "t.ts:7:17: error TS2339: Property 'constructor' does not exist on type 'EthHdr'.",
    ],
    [
      "M.toString();\n  return XdpAction.Pass;",
      "t.ts:5:3: error TS2339: Property 'toString' does not exist on type 'HashMap<u32, u32>'. Map methods: get, set, delete, has, add.",
    ],
    [
      "M.hasOwnProperty(1);\n  return XdpAction.Pass;",
      "t.ts:5:3: error TS2339: Property 'hasOwnProperty' does not exist on type 'HashMap<u32, u32>'. Map methods: get, set, delete, has, add.",
    ],
    [
      "ctx.toString();\n  return XdpAction.Pass;",
      "t.ts:5:5: error TS2339: Property 'toString' does not exist on type 'XdpContext'.",
    ],
    [
      "const a = XdpAction.valueOf;\n  return XdpAction.Pass;",
      "t.ts:5:21: error TS2339: Property 'valueOf' does not exist on type 'typeof XdpAction'.",
    ],
  ];
  for (const [body, want] of cases)
    it(want.replace(/.*Property '(\w+)'.*/, "$1"), () => expect(errors(xdp(body))).toEqual([want]));

  it("imports of prototype names are not exports of tsebpf", () => {
    const text = `import { XdpContext, XdpAction, constructor } from "tsebpf";\nexport function xdp_t(ctx: XdpContext): XdpAction { return XdpAction.Pass; }\n`;
    expect(errors(text)).toEqual([`t.ts:1:33: error TS2305: Module '"tsebpf"' has no exported member 'constructor'.`]);
  });
});

describe("long and deep programs", () => {
  it("reverse post-order of a 100,000-block chain does not recurse", () => {
    const n = 100_000;
    const f: Func = {
      name: "f",
      nextVreg: 0,
      stack: 0,
      ctx: 0,
      blocks: Array.from({ length: n }, (_, id) => ({
        id,
        ops: [],
        term: id + 1 < n ? { op: "jmp" as const, to: id + 1 } : { op: "ret" as const, val: 0n },
      })),
    };
    const order = rpo(f);
    expect(order.length).toBe(n);
    expect(order[0]).toBe(0);
    expect(order[n - 1]).toBe(n - 1);
  });

  it("3,000 sequential ifs compile", () => {
    const body = `  let x: u32 = ctx.length;\n${Array.from({ length: 3000 }, (_, i) => `  if (x > ${i}) x = x - 1;`).join("\n")}\n  return x > 7 ? XdpAction.Drop : XdpAction.Pass;`;
    expect(errors(xdp(body))).toEqual([]);
  }, 60_000);

  const chain = (n: number) =>
    Array.from({ length: n }, (_, i) => `function f${i}(x: u32): u32 { return f${i + 1}(x) + 1; }`).join("\n") +
    `\nfunction f${n}(x: u32): u32 { return x; }\n`;
  const callChain = (n: number) =>
    errors(xdp("  return f0(ctx.length) > 5 ? XdpAction.Drop : XdpAction.Pass;", chain(n)));

  it("a helper chain 16 deep compiles; deeper ones name the limit, not recursion", () => {
    expect(callChain(15)).toEqual([]);
    const deep =
      "t.ts:18:36: error TSB9020: Helper calls nest 17 deep (xdp_t → f0 → f1 → f2 → … → f14 → f15 → f16); helpers are inlined, so calls may nest at most 16 deep.";
    expect(callChain(16)).toEqual([deep]);
    expect(callChain(1000)).toEqual([deep]);
  }, 60_000);
});

describe("huge and garbage input", () => {
  const file = suiteDir("tsebpf-hostile-", (f) => {
    const r = rng(0x6a7b);
    const toks = [
      "a",
      "(",
      ")",
      "{",
      "}",
      "[",
      "]",
      ";",
      ":",
      "=",
      "+",
      "<",
      ">",
      "!",
      "&&",
      "?",
      ".",
      ",",
      "1",
      "if",
      "else",
      "return",
      "const",
      "for",
      "function",
      "export",
    ];
    let line = "";
    while (line.length < 65536) line += toks[Math.floor(r() * toks.length)] + " ";
    writeFileSync(
      f("garbage.ts"),
      xdp("  return XdpAction.Pass;").replace("export function", `${line}\nexport function`),
    );
    writeFileSync(f("huge.ts"), `// ${"x".repeat(5_000_000)}\n`);
  });

  it("a 64 KB garbage line: at most 100 diagnostics, a short window of the line each, in seconds", async () => {
    const t = Date.now();
    const r = await cli("build", file("garbage.ts"), "-o", file("garbage.o"));
    expect(Date.now() - t).toBeLessThan(20_000); // about 1 s on an idle machine (was 112 s)
    expect(r.code).toBe(1);
    expect(r.err.match(/^\S+:\d+:\d+: error /gm)?.length).toBe(100);
    expect(r.err).toMatch(/^note: and \d+ more errors \(at most 100 are shown per file\)$/m);
    expect(r.err.length).toBeLessThan(100 * 600);
  }, 60_000);

  it("a 5 MB source is refused at once", async () => {
    const r = await cli("build", file("huge.ts"), "-o", file("huge.o"));
    expect(r.code).toBe(1);
    expect(r.err.split("\n")[0]).toBe(
      `${file("huge.ts")}:1:1: error TSB9012: The source is 4.8 MB; the compiler accepts at most 1.0 MB.`,
    );
  });
});

describe("line terminators", () => {
  const src = (nl: string) => xdp("  // a comment\n  return XdpAction.Pas;").replaceAll("\n", nl);
  for (const [name, nl] of [
    ["CR", "\r"],
    ["CRLF", "\r\n"],
    ["U+2028", "\u2028"],
    ["U+2029", "\u2029"],
  ] as const)
    it(`${name} ends a // comment and counts as one line`, () => {
      expect(errors(src(nl))).toEqual([
        "t.ts:6:20: error TS2339: Property 'Pas' does not exist on type 'typeof XdpAction'.",
      ]);
    });
});

describe("valid code that was rejected", () => {
  it("contextual keywords are names: type, as, from, async, of, get, set, declare, module, namespace", () => {
    const body = `  const icmp = ctx.header(IcmpHdr, 0);
  if (icmp === null) return XdpAction.Pass;
  const type = icmp.type;
  let as: u32 = type;
  as = as + 1;
  const from = as, async = from, of = 1, get = 2, set = 3, declare = 4, module = 5, namespace = 6;
  return async + of + get + set + declare + module + namespace > 30 ? XdpAction.Drop : XdpAction.Pass;`;
    expect(errors(xdp(body))).toEqual([]);
  });

  it("'interface' stays reserved (strict mode, as tsc)", () => {
    expect(errors(xdp("  const interface = 1;\n  return XdpAction.Pass;"))[0]).toBe(
      "t.ts:5:9: error TS1003: Identifier expected.",
    );
  });

  it("a loop after a return, and a loop whose body always returns", () => {
    expect(errors(xdp("  return XdpAction.Pass;\n  for (let i = 0; i < 4; i++) { const x = i; }"))).toEqual([]);
    expect(errors(xdp("  for (let i = 0; i < 4; i++) { return XdpAction.Drop; }\n  return XdpAction.Pass;"))).toEqual(
      [],
    );
    expect(
      errors(
        xdp(
          "  for (let i = 0; i < 4; i++) {\n    if (ctx.length > i) return XdpAction.Drop;\n    else return XdpAction.Pass;\n  }\n  return XdpAction.Pass;",
        ),
      ),
    ).toEqual([]);
  });

  it("a header view stays valid after a branch that adjusts the head and returns", () => {
    const body = `  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  if (eth.etherType === 0x1234) {
    ctx.adjustHead(14);
    return XdpAction.Pass;
  }
  return eth.etherType === 0x0800 ? XdpAction.Drop : XdpAction.Pass;`;
    expect(errors(xdp(body))).toEqual([]);
    const falls = body.replace("    return XdpAction.Pass;\n  }", "  }");
    expect(errors(xdp(falls))).toEqual([
      "t.ts:10:10: error TSB9015: Header view 'eth' was invalidated by ctx.adjustHead()/adjustTail(); read the header again.",
    ]);
  });
});

describe("flow: adjustHead on a path that returns leaves views valid elsewhere (issue 12 §3)", () => {
  const eth = "  const eth = ctx.header(EthHdr, 0);\n  if (eth === null) return XdpAction.Pass;\n";
  const stale = (line: number, col: number) =>
    `t.ts:${line}:${col}: error TSB9015: Header view 'eth' was invalidated by ctx.adjustHead()/adjustTail(); read the header again.`;

  it("a loop whose body adjusts only in a branch that returns (also nested, also through a helper)", () => {
    const body = `${eth}  for (let i = 0; i < 4; i++) {
    if (eth.etherType === i) {
      ctx.adjustHead(14);
      return XdpAction.Drop;
    }
  }
  return eth.etherType === 0x0800 ? XdpAction.Tx : XdpAction.Pass;`;
    expect(errors(xdp(body))).toEqual([]);
    const nested = body.replace(
      "    if (eth.etherType === i) {",
      "    for (let j = 0; j < 2; j++) if (eth.etherType === i + j) {",
    );
    expect(errors(xdp(nested))).toEqual([]);
    const viaHelper = body.replace("ctx.adjustHead(14);", "shrink(ctx);");
    expect(errors(xdp(viaHelper, "function shrink(ctx: XdpContext): void { ctx.adjustHead(14); }\n"))).toEqual([]);
  });

  it("a loop whose body adjusts on the path that goes round stales views inside and after it", () => {
    const inside = `${eth}  for (let i = 0; i < 2; i++) {
    if (eth.etherType === i) return XdpAction.Drop;
    ctx.adjustHead(1);
  }
  return XdpAction.Pass;`;
    expect(errors(xdp(inside))).toEqual([stale(8, 9)]);
    const after = `${eth}  for (let i = 0; i < 2; i++) ctx.adjustHead(1);\n  return eth.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;`;
    expect(errors(xdp(after))).toEqual([stale(8, 10)]);
  });

  it("the else arm of ?: does not see an adjustHead in the then arm; the code after it does", () => {
    const arm = `${eth}  const r = ctx.length > 100 ? ctx.adjustHead(14) : eth.etherType;\n  return r === 0x0800 ? XdpAction.Drop : XdpAction.Pass;`;
    expect(errors(xdp(arm))).toEqual([]);
    const after = `${eth}  const r = ctx.length > 100 ? ctx.adjustHead(14) : 0;\n  return r === eth.etherType ? XdpAction.Drop : XdpAction.Pass;`;
    expect(errors(xdp(after))).toEqual([stale(8, 16)]);
  });
});

describe("compiler messages", () => {
  it("a missing bool import gets the import hint", () => {
    expect(errors(xdp("  const b: bool = ctx.length > 5;\n  return b ? XdpAction.Drop : XdpAction.Pass;"))).toEqual([
      `t.ts:5:12: error TS2304: Cannot find name 'bool'. Import it: import { bool } from "tsebpf".`,
    ]);
  });

  it("a switch whose every clause returns ends the function (no 'lacks ending return')", () => {
    expect(
      errors(xdp("  switch (ctx.length) { case 1: return XdpAction.Drop; default: return XdpAction.Pass; }")),
    ).toEqual([]);
    expect(
      errors(xdp("  switch (ctx.length) { case 1: return XdpAction.Drop; case 2: return XdpAction.Pass; }")),
    ).toEqual([expect.stringContaining("error TS2366: Function lacks ending return statement")]);
  });

  it("StackTrace is not supported yet (one message, not an empty method list)", () => {
    const text = `import { XdpContext, XdpAction, StackTrace, u32 } from "tsebpf";
export const D = new StackTrace<u32, u32>(4);
export function xdp_t(ctx: XdpContext): XdpAction {
  D.get(1);
  return XdpAction.Pass;
}
`;
    expect(errors(text)[0]).toMatch(
      /^t\.ts:1:33: error TSB9013: StackTrace is not supported yet; the map classes are /,
    );
    expect(errors(text)).toHaveLength(1);
  });

  it("redirect maps: no type arguments, no methods, and redirectMap takes only them", () => {
    const text = `import { XdpContext, XdpAction, DevMap, HashMap, redirectMap, u32 } from "tsebpf";
export const D = new DevMap<u32, u32>(4);
export const H = new HashMap<u32, u32>(4);
export function xdp_t(ctx: XdpContext): XdpAction {
  D.redirect(1);
  if (ctx.length > 100) return redirectMap(H, 0, XdpAction.Pass);
  return redirectMap(D, 0, ctx);
}
`;
    expect(errors(text)).toEqual([
      "t.ts:2:14: error TSB9013: DevMap takes no type arguments (u32 keys, the kernel's values): new DevMap(64).",
      "t.ts:5:5: error TS2339: Property 'redirect' does not exist on type 'DevMap'. DevMap has no methods; pass it to redirectMap().",
      "t.ts:6:44: error TS2322: The map argument of 'redirectMap' must be a DevMap, DevMapHash, CpuMap, XskMap declared at top level.",
      "t.ts:7:28: error TS2322: Argument of type 'XdpContext' is not assignable to parameter of type 'XdpAction | u64' (in a call to 'redirectMap').",
    ]);
  });

  it("a source with no program and an empty .s file are errors; no object is written", async () => {
    await withTempDir("tsebpf-empty-", async (dir) => {
      writeFileSync(join(dir, "empty.s"), "  # nothing here\n");
      writeFileSync(join(dir, "none.ts"), `import { u32 } from "tsebpf";\nfunction f(x: u32): u32 { return x; }\n`);
      const s = await cli("build", join(dir, "empty.s"), "-o", join(dir, "s.o"));
      expect([s.code, s.err.split("\n")[0]]).toEqual([
        1,
        `${join(dir, "empty.s")}:1:1: error ASM008: empty file: no instructions and no data`,
      ]);
      const t = await cli("build", join(dir, "none.ts"), "-o", join(dir, "t.o"));
      expect(t.code).toBe(1);
      expect(t.err.split("\n")[0]).toMatch(/none\.ts:1:1: error TSB9016: No XDP program/);
      expect(existsSync(join(dir, "s.o")) || existsSync(join(dir, "t.o"))).toBe(false);
    });
  });
});

describe.skipIf(!haveKernel)("map values in the kernel", () => {
  it("M.get(k) is the value at the call: a later delete and set do not change it", () => {
    const text = `import { XdpContext, XdpAction, HashMap, u32 } from "tsebpf";
export const M = new HashMap<u32, u32>(16);
export function xdp_t(ctx: XdpContext): XdpAction {
  M.set(1, 7);
  const v = M.get(1);
  M.delete(1);
  M.set(2, 55);
  if (v === null) return XdpAction.Aborted;
  return v === 7 ? XdpAction.Pass : XdpAction.Drop;
}
`;
    const { verdicts } = runPackets(compileDsl(text, "t.ts"), [frame(), frame()]);
    expect(verdicts).toEqual([2, 2]);
  });
});
