// Several XDP programs in one source file: one section and symbol each, maps and the log format
// table shared, each loadable and with its own verdict and log target.
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { testRunChecked } from "./helpers/twin.js";
import { compileToObject } from "../compiler/dsl/index.js";
import { loadObject } from "../loader/object.js";
import { RingReader, decodeRecord } from "../loader/logs.js";
import { u32le } from "./helpers/packets.js";

const SRC = `import { XdpContext, XdpAction, HashMap, info, u32 } from "tsebpf";
export const HITS = new HashMap<u32, u32>(8);
export function xdp_a(ctx: XdpContext): XdpAction {
  HITS.add(1, 1);
  info(\`a \${ctx.length}\`);
  return XdpAction.Pass;
}
export function xdp_b(ctx: XdpContext): XdpAction {
  HITS.add(2, 1);
  info(\`b \${ctx.length}\`);
  return XdpAction.Drop;
}
`;

describe.skipIf(!haveKernel)("two programs in one file", () => {
  it("share maps and logs; each has its own section and verdict", () => {
    const r = compileToObject(SRC, "two.ts", { sectionStyle: "tsebpf" });
    const o = loadObject(r.object!);
    try {
      expect(o.programs.map((p) => [p.name, p.section])).toEqual([
        ["xdp_a", "xdp/xdp_a"],
        ["xdp_b", "xdp/xdp_b"],
      ]);
      expect(testRunChecked(o, new Uint8Array(20), { program: "xdp_a" }).retval).toBe(2);
      expect(testRunChecked(o, new Uint8Array(30), { program: "xdp_b" }).retval).toBe(1);
      expect(testRunChecked(o, new Uint8Array(30), { program: "xdp_b" }).retval).toBe(1);
      const hits = o.map("HITS")!;
      expect([1, 2].map((k) => hits.get(u32le(k))!.readUInt32LE(0))).toEqual([1, 2]);
      const m = o.map("TSEBPF_LOGS")!;
      const ring = new RingReader(m.fd, m.def.maxEntries);
      const logs: string[] = [];
      try {
        ring.poll((rec) => {
          const d = decodeRecord(rec, o.model.logFormats ?? [])!;
          logs.push(`${d.program}: ${d.message}`);
        });
      } finally {
        ring.close();
      }
      expect(logs).toEqual(["xdp_a: a 20", "xdp_b: b 30", "xdp_b: b 30"]);
    } finally {
      o.close();
    }
  });
});
