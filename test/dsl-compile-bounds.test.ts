// Differential test of packet bounds checks: random programs that view headers at constant
// offsets, return early on null or on field values, and log in between, are run in the kernel on
// packets of every length from 14 to 64 bytes; verdicts and logs must match the reference
// interpreter of the DSL (test/gen/interp.ts). Guards the merging of bounds checks (a short packet
// must get the same verdict). Also header views at variable offsets of any u32 value.
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { rng } from "./helpers/rng.js";
import { XDP_HEAD, compileDsl } from "./helpers/dsl.js";
import { readLogs, run, runPackets, withObject } from "./helpers/run.js";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { interpretOnce } from "./gen/interp.js";

/** A step of the random program. */
type Step =
  | { k: "view"; name: string; header: string; off: number; onNull: number }
  | { k: "test"; name: string; header: string; field: string; value: number; ret: number }
  | { k: "log"; text: string };

const FIELDS: Record<string, string[]> = {
  EthHdr: ["etherType"],
  Ipv4Hdr: ["ttl", "protocol", "totalLen"],
  UdpHdr: ["srcPort", "len"],
};
const ACTIONS = ["Aborted", "Drop", "Pass", "Tx"];

function gen(r: () => number): { steps: Step[]; final: number } {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const steps: Step[] = [];
  const views: Step[] = [];
  const n = 3 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.45 || !views.length) {
      const header = pick(Object.keys(FIELDS));
      const v: Step = {
        k: "view",
        name: `h${i}`,
        header,
        off: pick([0, 2, 8, 14, 20, 34, 40]),
        onNull: r() < 0.7 ? 2 : Math.floor(r() * 4),
      };
      steps.push(v);
      views.push(v);
    } else if (k < 0.85) {
      const v = pick(views) as Step & { k: "view" };
      steps.push({
        k: "test",
        name: v.name,
        header: v.header,
        field: pick(FIELDS[v.header]!),
        value: Math.floor(r() * 4),
        ret: Math.floor(r() * 4),
      });
    } else steps.push({ k: "log", text: `step ${i}` });
  }
  return { steps, final: r() < 0.7 ? 2 : 1 };
}

function source(p: { steps: Step[]; final: number }): string {
  const body = p.steps.map((s) => {
    if (s.k === "view")
      return `  const ${s.name} = ctx.header(${s.header}, ${s.off});\n  if (${s.name} === null) return XdpAction.${ACTIONS[s.onNull]};`;
    if (s.k === "test") return `  if ((${s.name}.${s.field} & 3) === ${s.value}) return XdpAction.${ACTIONS[s.ret]};`;
    return `  info("${s.text}");`;
  });
  return `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, info } from "tsebpf";
export function xdp_bounds(ctx: XdpContext): XdpAction {
${body.join("\n")}
  return XdpAction.${ACTIONS[p.final]};
}
`;
}

describe.skipIf(!haveKernel)("bounds checks: compiled code against a reference interpreter", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])("random header programs, seed %i", (seed) => {
    const r = rng(seed);
    const prog = gen(r);
    const text = source(prog);
    const ast = parseProgram(text, "bounds.ts").ast;
    withObject(compileDsl(text, "bounds.ts", { showSource: true }), (o) => {
      for (let len = 14; len <= 64; len++) {
        const pkt = new Uint8Array(len).map(() => Math.floor(r() * 256));
        const want = interpretOnce(ast, "xdp_bounds", pkt);
        const verdict = run(o, pkt);
        const logs = readLogs(o);
        expect({ len, verdict, logs, text }).toEqual({ len, verdict: want.verdict, logs: want.logs, text });
      }
    });
  });
});

describe.skipIf(!haveKernel)("variable header offsets in the kernel", () => {
  it("a variable header offset of any u32 value gives a program the verifier accepts; offsets past any packet give null", () => {
    const prog = (off: string) =>
      compileDsl(
        XDP_HEAD +
          `export function xdp_t(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.Aborted;
  const e = ctx.header(EthHdr, ${off});
  if (e === null) return XdpAction.Pass;
  e.srcMac = 0xffffffffffff;
  return e.etherType === 0x0708 ? XdpAction.Drop : XdpAction.Tx;
}`,
        "t.ts",
      );
    const pkt = new Uint8Array(
      Buffer.from("00112233445566778899aabb08004500001400000000401100000102030405060708", "hex"),
    );
    // ctx.length - 14 and ip.totalLen (20) are full-range u32/u16 values: the verifier rejected these before
    expect(runPackets(prog("ctx.length - 14"), [pkt]).verdicts).toEqual([1]);
    expect(runPackets(prog("ip.totalLen"), [pkt]).verdicts).toEqual([1]);
    // 34 + 0xffe6 = 0x10008: masking with 0xffff read the header at offset 8; it is past the packet
    expect(runPackets(prog("ctx.length + 0xffe6"), [pkt]).verdicts).toEqual([2]);
  });
});
