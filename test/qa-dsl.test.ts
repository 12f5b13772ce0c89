// QA regressions for the DSL front end and back end found by writing new programs.
import { describe, expect, it } from "vitest";
import { parseProgram } from "../compiler/dsl/parser.js";
import { checkProgram } from "../compiler/dsl/checker.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { haveKernel } from "./helpers/env.js";
import { compileDsl } from "./helpers/dsl.js";
import { runPackets } from "./helpers/run.js";
import { frame } from "./helpers/packets.js";

const HEAD = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, u8, u16, u32, u64, i8, i32, info } from "tsebpf";\n`;

function diags(src: string): string[] {
  const p = parseProgram(HEAD + src, "t.ts");
  expect(p.diagnostics.map(formatCompact)).toEqual([]);
  return checkProgram(p.ast).diagnostics.map((d) => `${d.code} ${d.message}`);
}

describe("qa: DSL checker", () => {
  it("`as` of an out-of-range literal expression wraps instead of reporting 'not assignable'", () => {
    expect(diags(`export function xdp_t(ctx: XdpContext): XdpAction {
  const y: u16 = (0xfff0 + 0x20) as u16;
  const z: u8 = 300 as u8;
  const w: i8 = 200 as i8;
  return y === 16 && z === 44 && w === -56 ? XdpAction.Drop : XdpAction.Pass;
}`)).toEqual([]);
  });
});

describe.skipIf(!haveKernel)("qa: DSL in the kernel", () => {
  it("`as` of literal expressions wraps to the target width", () => {
    const bytes = compileDsl(HEAD + `export function xdp_t(ctx: XdpContext): XdpAction {
  const y: u16 = (0xfff0 + 0x20) as u16;
  const z: u8 = 300 as u8;
  const w: i8 = 200 as i8;
  let a: u32 = ctx.length;
  a += y + z;
  info(\`\${a} \${w}\`);
  return XdpAction.Pass;
}`, "t.ts");
    const { verdicts, logs } = runPackets(bytes, [frame()]);
    expect(verdicts).toEqual([2]);
    expect(logs.length).toBe(1);
    expect(logs[0]).toMatch(/ -56$/);
  });
});
