// Writing global variables while the program runs (`obj.setGlobals`, loader/global-write.ts): the
// loaded program sees a new .data/.bss value on its next run (clang's globals.c and DSL `let`s:
// integers, a struct, an array; through the map's mapping or, when the section cannot be mapped,
// read, patched and written back), the program's own updates of the section's other variables
// stay, and wrong names, values and .rodata are one LoaderError "bad-global" naming the variable
// and field, with nothing written.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { BpfObject, load } from "../loader/api/index.js";
import { loadModel, readModel } from "../loader/object.js";
import { MAP_FLAG } from "../compiler/abi.js";
import { caught } from "./helpers/errors.js";
import { haveKernel, kernelSkipReason } from "./helpers/env.js";
import { compileDsl } from "./helpers/dsl.js";
import { frame } from "./helpers/packets.js";
import { apiTestRun } from "./helpers/twin.js";

const G = "fixtures/c/globals.clang19-g.o";
const P80 = frame({ proto: 17, dstPort: 80 }); // verdict_pass
const P53 = frame({ proto: 17, dstPort: 53 }); // a blocked port: dropped += 1
const WINDOW = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, u16, u64, FixedArray } from "tsebpf";
interface Window { low: u16; high: u16 }
let txWindow: Window = { low: 0, high: 0 };
let seen: u64 = 0;
let hits: FixedArray<u64, 2> = [0, 0];
export function xdp_window(ctx: XdpContext): XdpAction {
  seen += 1;
  const udp = ctx.header(UdpHdr, EthHdr.size + Ipv4Hdr.size);
  if (udp === null) return XdpAction.Pass;
  if (udp.dstPort < txWindow.low || udp.dstPort >= txWindow.high) return XdpAction.Pass;
  hits[udp.dstPort & 1] += 1;
  return XdpAction.Tx;
}
`;

describe.skipIf(!haveKernel)(`setGlobals in the kernel ${kernelSkipReason}`, () => {
  it("the running program sees new .data/.bss values; the section's other variables keep counting", async () => {
    using obj = await load(G);
    expect(apiTestRun(obj, P80, { repeat: 4 }).verdict).toBe("XDP_PASS");
    obj.setGlobals({ verdict_pass: 3 }); // XDP_TX
    expect(apiTestRun(obj, P80).verdict).toBe("XDP_TX");
    // seen_bytes (same .data section) was counting before the write and is not overwritten by it
    expect(obj.globals()).toMatchObject({ verdict_pass: 3, seen_bytes: 7 + 5 * P80.length, packets: 5 });
    obj.setGlobals({ dropped: 100n, last_class: 9, packets: 0 });
    expect(apiTestRun(obj, P53).verdict).toBe("XDP_DROP");
    expect(obj.globals()).toMatchObject({ dropped: 101, packets: 1, verdict_pass: 3 });
    obj.setGlobals({ verdict_pass: Uint8Array.of(2, 0, 0, 0) }); // exact bytes
    expect(apiTestRun(obj, P80).verdict).toBe("XDP_PASS");
  });

  it("a section that cannot be mapped (only static variables) is read, patched and written back", () => {
    const model = readModel(readFileSync(G), G);
    const plain = { ...model, maps: model.maps.map((m) => ({ ...m, flags: m.flags & ~MAP_FLAG.MMAPABLE })) };
    using obj = new BpfObject(loadModel(plain));
    apiTestRun(obj, P80, { repeat: 2 });
    obj.setGlobals({ verdict_pass: 3 });
    expect(apiTestRun(obj, P80).verdict).toBe("XDP_TX");
    expect(obj.globals()).toMatchObject({ verdict_pass: 3, seen_bytes: 7 + 3 * P80.length });
  });

  it("DSL lets: a struct as a plain object, an array, read back by globals()", async () => {
    using obj = await load(compileDsl(WINDOW, "window.ts"));
    const udp = (port: number) => frame({ proto: 17, dstPort: port });
    expect(apiTestRun(obj, udp(8080)).verdict).toBe("XDP_PASS");
    obj.setGlobals({ txWindow: { low: 8000, high: 9000 } });
    expect([apiTestRun(obj, udp(8080)).verdict, apiTestRun(obj, udp(9000)).verdict]).toEqual(["XDP_TX", "XDP_PASS"]);
    obj.setGlobals({ hits: [10, 20n] });
    apiTestRun(obj, udp(8081));
    expect(obj.globals()).toMatchObject({ txWindow: { low: 8000, high: 9000 }, hits: [10, 21], seen: 4 });
  });

  it("wrong names, values and .rodata: one error naming the variable and field, nothing written", async () => {
    using obj = await load(G);
    using win = await load(compileDsl(WINDOW, "window.ts"));
    const cases: [() => void, RegExp][] = [
      [
        () => obj.setGlobals({ nope: 1 }),
        /^setting globals: nope: no such global variable; the object's \.data\/\.bss variables: verdict_pass, seen_bytes, packets, last_class, last_letter, dropped$/,
      ],
      [
        () => obj.setGlobals({ drop_all: 1 }),
        /^setting globals: drop_all is in \.rodata, which is frozen once the object is loaded\n {2}hint: set it before loading: load\(file, \{ set: \{ drop_all: … \} \}\) or --set drop_all=…$/,
      ],
      [
        () => obj.setGlobals({ verdict_pass: 3, last_class: 256 }),
        /^setting globals: last_class: 256 does not fit __u8 \(0\.\.255\)$/,
      ],
      [
        () => obj.setGlobals({ dropped: "many" }),
        /^setting globals: dropped: expected an integer \(__u64\), not 'many'$/,
      ],
      [() => obj.setGlobals({ seen_bytes: 1.5 }), /^setting globals: seen_bytes: 1\.5 is not an integer$/],
      [
        () => obj.setGlobals({ packets: new Uint8Array(4) }),
        /^setting globals: packets: 4 byte\(s\) given, the variable is 8 bytes$/,
      ],
      [
        () => win.setGlobals({ txWindow: { low: 1 } }),
        /^setting globals: txWindow\.high: missing \(struct Window \{low, high\}\)$/,
      ],
      [
        () => win.setGlobals({ txWindow: { low: 1, high: 70000 } }),
        /^setting globals: txWindow\.high: 70000 does not fit u16 \(0\.\.65535\)$/,
      ],
      [() => win.setGlobals({ hits: [1, 2, 3] }), /^setting globals: hits: expected 2 elements, not 3$/],
      [() => win.setGlobals({ hits: [1, -1] }), /^setting globals: hits\[1\]: -1 does not fit u64/],
    ];
    for (const [f, msg] of cases) {
      const e = caught(f);
      expect([e.code, e.message]).toEqual(["bad-global", expect.stringMatching(msg)]);
    }
    expect(apiTestRun(obj, P80).verdict).toBe("XDP_PASS"); // verdict_pass: 3 was not written
    obj.close();
    expect(caught(() => obj.setGlobals({ verdict_pass: 1 })).code).toBe("closed");
  });
});
