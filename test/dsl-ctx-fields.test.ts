// ctx.ingressIfindex and ctx.rxQueueIndex (xdp_md fields): a program stores both in an array map;
// test-run gives the kernel an xdp_md with a chosen interface (loopback, a veth end) and the VM
// the same values; both must report them.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { XdpVm } from "../loader/vm/xdp.js";
import { compileDsl } from "./helpers/dsl.js";
import { testRunChecked } from "./helpers/twin.js";
import { haveKernel } from "./helpers/env.js";
import { frame, u32le } from "./helpers/packets.js";
import { withObject } from "./helpers/run.js";
import { suiteVeth } from "./helpers/veth.js";

const SRC = `import { XdpContext, XdpAction, ArrayMap, u32 } from "tsebpf";
export const SEEN = new ArrayMap<u32, u32>(2);
export function xdp_where(ctx: XdpContext): XdpAction {
  SEEN.set(0, ctx.ingressIfindex);
  SEEN.set(1, ctx.rxQueueIndex);
  return ctx.ingressIfindex === 1 ? XdpAction.Pass : XdpAction.Drop;
}
`;
const bytes = () => compileDsl(SRC, "where.ts");
const u32 = (b: Uint8Array | undefined) => (b ? new DataView(b.buffer, b.byteOffset).getUint32(0, true) : -1);

function kernelSees(ifindex?: number): [number, number, number] {
  return withObject(bytes(), (o) => {
    const r = testRunChecked(o, frame(), ifindex === undefined ? {} : { ingressIfindex: ifindex });
    const m = o.map("SEEN")!;
    return [r.retval, u32(m.get(u32le(0))), u32(m.get(u32le(1)))];
  });
}

function vmSees(ifindex?: number, rxq?: number): [number, number, number] {
  const vm = XdpVm.fromElf(bytes(), { ingressIfindex: ifindex, rxQueueIndex: rxq });
  const r = vm.run(frame());
  const m = vm.map("SEEN");
  return [r.verdict, u32(m.lookup(u32le(0), 0)), u32(m.lookup(u32le(1), 0))];
}

describe("xdp_md fields in the VM", () => {
  it("reads the ingress ifindex and rx queue it is given (loopback by default)", () => {
    expect(vmSees()).toEqual([2, 1, 0]);
    expect(vmSees(7, 3)).toEqual([1, 7, 3]);
  });
});

describe.skipIf(!haveKernel)("xdp_md fields in the kernel", () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const veth = suiteVeth(`c${tag}`);
  it("test-run without a context: loopback, queue 0 (as the VM)", () => {
    expect(kernelSees()).toEqual(vmSees());
    expect(kernelSees()).toEqual([2, 1, 0]);
  });
  it("test-run with a veth's ifindex: the program reads it (as the VM)", () => {
    const ifindex = Number(readFileSync(`/sys/class/net/${veth.host}/ifindex`, "utf8"));
    expect(ifindex).toBeGreaterThan(1);
    expect(kernelSees(ifindex)).toEqual([1, ifindex, 0]);
    expect(vmSees(ifindex, 0)).toEqual(kernelSees(ifindex));
  });
});
