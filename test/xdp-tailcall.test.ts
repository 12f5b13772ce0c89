// ProgArray + tailCall: an entry program tail-calls the program at an index picked by the packet;
// with no program there the call falls through. `tsebpf test --map JUMP idx=program` fills the prog
// array by program name, in the kernel (the program's fd) and in the VM, with the same verdicts;
// a counter map shows which program ran (and that the entry's code after the call ran only on a
// fall-through).
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { XdpVm } from "../loader/vm/xdp.js";
import { cli } from "./helpers/cli.js";
import { testRunChecked } from "./helpers/twin.js";
import { compileDsl } from "./helpers/dsl.js";
import { haveKernel } from "./helpers/env.js";
import { u32le } from "./helpers/packets.js";
import { withObject } from "./helpers/run.js";
import { suiteDir } from "./helpers/tmp.js";

const SRC = `import { XdpContext, XdpAction, ProgArray, ArrayMap, EthHdr, u32, tailCall } from "tsebpf";
export const JUMP = new ProgArray(4);
export const HITS = new ArrayMap<u32, u32>(4);
export function xdp_entry(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Aborted;
  tailCall(ctx, JUMP, (eth.dstMac & 0xff) as u32);
  HITS.add(0, 1);
  return XdpAction.Pass; // no program at that index: the tail call fell through
}
export function xdp_drop(ctx: XdpContext): XdpAction {
  HITS.add(1, 1);
  return XdpAction.Drop;
}
export function xdp_tx(ctx: XdpContext): XdpAction {
  HITS.add(2, 1);
  return XdpAction.Tx;
}
`;
/** Destination MACs ending in 0..3 (3 is past the filled entries; 9 past the array). */
const PACKETS = [0, 1, 2, 3, 9].map((i) => `00000000000${i}02000000000108004500000000000000`);
const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const VERDICTS = ["XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_PASS", "XDP_PASS"];
const file = suiteDir("tsebpf-tail-", (f) => writeFileSync(f("tail.ts"), SRC));
const fill = ["--map", "JUMP", "0=xdp_drop", "2=xdp_tx"];
const verdicts = (out: string) => [...out.matchAll(/packet \d+: (XDP_\w+)/g)].map((m) => m[1]);
const hits = (get: (k: number) => Uint8Array | undefined) => [0, 1, 2].map((k) => Buffer.from(get(k)!).readUInt32LE(0));

describe("tail calls in the VM", () => {
  it("runs the program at the index, falls through without one; --map fills by program name", async () => {
    const vm = XdpVm.fromElf(compileDsl(SRC, "tail.ts"));
    vm.progArray("JUMP").set(0, "xdp_drop");
    vm.progArray("JUMP").set(2, "xdp_tx");
    expect(PACKETS.map((p) => vm.run(hex(p)).verdict)).toEqual([1, 2, 3, 2, 2]);
    expect(hits((k) => vm.map("HITS").lookup(u32le(k), 0))).toEqual([3, 1, 1]);
    const r = await cli("test", "--vm", file("tail.ts"), ...fill, ...PACKETS.flatMap((p) => ["--packet", p]));
    expect(verdicts(r.out), r.err).toEqual(VERDICTS);
    const bad = await cli("test", "--vm", file("tail.ts"), "--map", "JUMP", "0=xdp_nope", "--packet", PACKETS[0]!);
    expect([bad.code, bad.err]).toEqual([1, expect.stringMatching(/no program named 'xdp_nope'/)]);
    const far = await cli("test", "--vm", file("tail.ts"), "--map", "JUMP", "4=xdp_tx", "--packet", PACKETS[0]!);
    expect(far.err).toMatch(/--map JUMP: key '4' is out of range: the prog array has 4 entries/);
  });
});

describe.skipIf(!haveKernel)("tail calls in the kernel", () => {
  it("tsebpf test --map JUMP 0=xdp_drop 2=xdp_tx: the VM's verdicts", async () => {
    const r = await cli("test", file("tail.ts"), ...fill, ...PACKETS.flatMap((p) => ["--packet", p]));
    expect(verdicts(r.out), r.err).toEqual(VERDICTS);
  });

  it("the program that ran counts itself; the entry counts only fall-throughs", () => {
    withObject(compileDsl(SRC, "tail.ts"), (o) => {
      const jump = o.map("JUMP")!;
      jump.set(u32le(0), u32le(o.program("xdp_drop").fd));
      jump.set(u32le(2), u32le(o.program("xdp_tx").fd));
      expect(PACKETS.map((p) => testRunChecked(o, hex(p), { program: "xdp_entry" }).retval)).toEqual([1, 2, 3, 2, 2]);
      expect(hits((k) => o.map("HITS")!.get(u32le(k)))).toEqual([3, 1, 1]);
    });
  });
});
