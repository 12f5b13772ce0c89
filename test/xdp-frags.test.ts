// xdp.frags programs: a DSL program taking an XdpFragsContext goes to section xdp.frags, and the
// loader loads that section (ours and clang's) with BPF_F_XDP_HAS_FRAGS. The kernel shows the
// flag: a veth with a jumbo-MTU peer accepts such a program in driver mode and refuses a plain
// one; test-run gives it a packet longer than a page, and bpf_xdp_get_buff_len counts all of it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { attachXdp } from "../loader/attach.js";
import { XdpVm } from "../loader/vm/xdp.js";
import { compileDsl } from "./helpers/dsl.js";
import { testRunChecked } from "./helpers/twin.js";
import { haveKernel } from "./helpers/env.js";
import { frame } from "./helpers/packets.js";
import { withObject } from "./helpers/run.js";
import { suiteVeth } from "./helpers/veth.js";

const src = (ctxType: string) => `import { ${ctxType}, XdpAction } from "tsebpf";
export function xdp_big(ctx: ${ctxType}): XdpAction {
  return ctx.length > 4096 ? XdpAction.Drop : XdpAction.Pass;
}
`;
const FRAGS = src("XdpFragsContext");
const CLANG = () => new Uint8Array(readFileSync("fixtures/c/frags.clang19.o"));
const jumbo = () => {
  const p = new Uint8Array(6000);
  p.set(frame({ proto: 17 }));
  return p;
};

describe("xdp.frags programs", () => {
  it("an XdpFragsContext parameter puts the program in section xdp.frags (both section styles)", () => {
    expect(readBpfObject(compileDsl(FRAGS, "big.ts")).programs.map((p) => p.section)).toEqual(["xdp.frags/xdp_big"]);
    const libbpf = compileDsl(FRAGS, "big.ts", { sectionStyle: "libbpf" });
    expect(readBpfObject(libbpf).programs.map((p) => p.section)).toEqual(["xdp.frags"]);
    expect(readBpfObject(compileDsl(src("XdpContext"), "big.ts")).programs[0]!.section).toBe("xdp/xdp_big");
  });
});

describe.skipIf(!haveKernel)("xdp.frags programs in the kernel", () => {
  for (const [what, bytes] of [
    ["DSL (XdpFragsContext)", () => compileDsl(FRAGS, "big.ts")],
    ['clang SEC("xdp.frags")', CLANG],
  ] as const)
    it(`${what}: loaded with BPF_F_XDP_HAS_FRAGS, it takes a 6000-byte packet and sees all of it`, () => {
      withObject(bytes(), (o) => {
        expect(testRunChecked(o, jumbo()).retval).toBe(1); // length 6000 > 4096: dropped
        expect(testRunChecked(o, frame()).retval).toBe(2);
      });
      expect(XdpVm.fromElf(bytes()).run(frame()).verdict).toBe(2); // the VM: single-buffer packets only
    });

  // veth refuses a single-buffer XDP program in driver mode when its peer's MTU exceeds a page
  // ("Peer MTU is too large to set XDP", ERANGE) and takes one loaded with BPF_F_XDP_HAS_FRAGS
  const veth = suiteVeth(`f${Math.random().toString(36).slice(2, 7)}`);
  it("a veth whose peer has MTU 9000 takes the xdp.frags programs in driver mode, not the plain one", () => {
    execFileSync("ip", ["-n", veth.ns, "link", "set", veth.peer, "mtu", "9000"]);
    const attach = (bytes: Uint8Array) =>
      withObject(bytes, (o) => attachXdp(o.program().fd, veth.host, { mode: "drv" }).detach());
    expect(() => attach(compileDsl(src("XdpContext"), "big.ts"))).toThrow(/ERANGE|result too large/i);
    expect(attach(compileDsl(FRAGS, "big.ts"))).toBeUndefined();
    expect(attach(CLANG())).toBeUndefined();
  });
});
