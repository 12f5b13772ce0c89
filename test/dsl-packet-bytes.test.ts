// Packet bytes at any offset (issue 8 §7): ctx.loadU8..U64(le) and ctx.storeU8..U64(le) at
// constant and variable offsets, on packets whose length puts the access inside, at the end and
// past it. The kernel (BPF_PROG_TEST_RUN), the VM and the reference interpreter of the DSL
// (test/gen/interp.ts) must give the same verdict, output packet and logs; the diagnostics for a
// load used without a null check, a value that does not fit, and an offset beyond any packet.
import { describe, expect, it } from "vitest";
import { compileToObject } from "../compiler/dsl/index.js";
import { parseProgram } from "../compiler/dsl/syntax/parser.js";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { formatCompact } from "../compiler/diagnostics.js";
import { decodeRecord } from "../loader/logs.js";
import { XdpVm } from "../loader/vm/xdp.js";
import { haveKernel } from "./helpers/env.js";
import { testRunChecked } from "./helpers/twin.js";
import { XDP_HEAD, checkDiags, compileDsl } from "./helpers/dsl.js";
import { readLogs, withObject } from "./helpers/run.js";
import { rng } from "./helpers/rng.js";
import { interpretOnce } from "./gen/interp.js";

const HEAD = `import { XdpContext, XdpAction, u8, u16, u32, u64, bool, info } from "tsebpf";\n`;

/** Every load at offsets counted back from the end (hit, exactly at the end, past it) and at constants. */
const LOADS = `${HEAD}
export function xdp_bytes(ctx: XdpContext): XdpAction {
  const n: u32 = ctx.length;
  const a = ctx.loadU8(n - 1);
  const b = ctx.loadU16(n - 2);
  const c = ctx.loadU32(n - 3);
  const d = ctx.loadU64(n - 8);
  const e = ctx.loadU16le(n - 1);
  const f = ctx.loadU32le(n - 4);
  const g = ctx.loadU64le(n - 7);
  info(\`a=\${a ?? 0xff} b=\${b ?? 0xffff} c=\${c ?? 7} d=\${d ?? 9} e=\${e ?? 5} f=\${f ?? 6} g=\${g ?? 8}\`);
  const h = ctx.loadU64(20);
  const i = ctx.loadU32le(30);
  if (h === null) return XdpAction.Drop;
  info(\`h=\${h} i=\${i ?? 1}\`);
  return i === null ? XdpAction.Tx : XdpAction.Pass;
}
`;

/** Every store, where it fits and where it does not; the verdict counts the stores that happened. */
const STORES = `${HEAD}
export function xdp_store(ctx: XdpContext): XdpAction {
  const n: u32 = ctx.length;
  let done: u32 = 0;
  if (ctx.storeU8(n - 1, 0xa1)) done += 1;
  if (ctx.storeU16(n - 3, 0xb2b3)) done += 2;
  const w: bool = ctx.storeU32(n - 9, 0xc4c5c6c7);
  if (w) done += 4;
  if (ctx.storeU64(n - 17, 0x0102030405060708)) done += 8;
  if (ctx.storeU16le(n - 19, 0xd1d2)) done += 16;
  if (ctx.storeU32le(24, 0xe1e2e3e4)) done += 32;
  if (ctx.storeU64le(n - 31, 0xf1f2f3f4f5f6f7f8)) done += 64;
  ctx.storeU16(ctx.length + 2, 0xdead);
  info(\`done=\${done}\`);
  return done === 127 ? XdpAction.Tx : done > 16 ? XdpAction.Pass : XdpAction.Drop;
}
`;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

interface Seen {
  verdict: number;
  packet: string;
  logs: string[];
}

function packets(seed: number): Uint8Array[] {
  const r = rng(seed);
  return [14, 15, 16, 17, 20, 21, 27, 28, 30, 31, 33, 34, 40, 64].map((len) =>
    new Uint8Array(len).map(() => Math.floor(r() * 256)),
  );
}

function inVm(bytes: Uint8Array, pkts: Uint8Array[]): Seen[] {
  const model = readBpfObject(bytes);
  const vm = new XdpVm(model);
  return pkts.map((p) => {
    const r = vm.run(p);
    const logs = vm.drainRing("TSEBPF_LOGS").map((rec) => decodeRecord(rec, model.logFormats ?? [])?.message ?? "?");
    return { verdict: r.verdict, packet: hex(r.packet), logs };
  });
}

function inInterp(src: string, entry: string, pkts: Uint8Array[]): Seen[] {
  const ast = parseProgram(src, "t.ts").ast;
  return pkts.map((p) => {
    const r = interpretOnce(ast, entry, p);
    return { verdict: r.verdict, packet: hex(r.packet), logs: r.logs };
  });
}

function inKernel(bytes: Uint8Array, pkts: Uint8Array[]): Seen[] {
  return withObject(bytes, (o) =>
    pkts.map((p) => {
      const r = testRunChecked(o, p);
      return { verdict: r.retval, packet: hex(r.dataOut), logs: readLogs(o) };
    }),
  );
}

describe("packet loads and stores at any offset: VM and reference interpreter", () => {
  it.each([
    ["loads", LOADS, "xdp_bytes"],
    ["stores", STORES, "xdp_store"],
  ])("%s agree on packets where the access hits, ends at the end and runs past it", (_n, src, entry) => {
    const pkts = packets(7);
    const vm = inVm(compileDsl(src, "t.ts"), pkts);
    expect(vm).toEqual(inInterp(src, entry, pkts));
    // not vacuous: some accesses hit and some miss
    expect(new Set(vm.map((s) => s.verdict)).size).toBeGreaterThan(1);
  });

  it("reads in network order and little-endian, writes likewise", () => {
    const pkt = Uint8Array.from({ length: 40 }, (_, i) => i);
    const [s] = inVm(compileDsl(LOADS, "t.ts"), [pkt]);
    expect(s!.verdict).toBe(2);
    expect(s!.logs).toEqual([
      "a=39 b=9767 c=7 d=2315169217770759719 e=5 f=656811300 g=8",
      "h=1447087143713839643 i=555753246",
    ]);
    const [t] = inVm(compileDsl(STORES, "t.ts"), [new Uint8Array(40)]);
    expect(t!.verdict).toBe(3);
    expect(t!.packet).toBe("000000000000000000f8f7f6f5f4f3f2f100000000d2d101e4e3e2e1060708c4c5c6c70000b2b3a1");
  });
});

describe("`ctx.loadU16(off) ?? v`", () => {
  it("evaluates v only when the bytes run past the end (here a helper that counts its calls)", () => {
    const src = `import { XdpContext, XdpAction, ArrayMap, u32, u64 } from "tsebpf";
export const MISSES = new ArrayMap<u32, u64>(1);
function miss(): u16 {
  MISSES.add(0, 1);
  return 7;
}
export function xdp_or(ctx: XdpContext): XdpAction {
  const a = ctx.loadU16(20) ?? miss();
  const b = ctx.loadU16(ctx.length - 1) ?? miss();
  return a === 7 && b === 7 ? XdpAction.Drop : XdpAction.Pass;
}
`.replace("ArrayMap, u32", "ArrayMap, u16, u32");
    const vm = XdpVm.fromElf(compileDsl(src, "t.ts"));
    const verdicts = [16, 21, 22, 40].map((n) => vm.run(new Uint8Array(n)).verdict);
    expect(verdicts).toEqual([1, 1, 2, 2]); // 16 and 21 bytes: offset 20 is past the end
    expect(Buffer.from(vm.map("MISSES").lookup(new Uint8Array(4), 0)!).readBigUInt64LE(0)).toBe(6n);
  });
});

describe.skipIf(!haveKernel)("packet loads and stores at any offset in the kernel", () => {
  it.each([
    ["loads", LOADS],
    ["stores", STORES],
  ])("%s: the verifier accepts them and the kernel agrees with the VM", (_n, src) => {
    const bytes = compileDsl(src, "t.ts");
    const pkts = packets(11);
    expect(inKernel(bytes, pkts)).toEqual(inVm(bytes, pkts));
  });
});

describe("packet loads and stores: diagnostics", () => {
  it("a load must be null-checked before its value is used", () => {
    expect(
      checkDiags(`export function xdp_t(ctx: XdpContext): XdpAction {
  const v = ctx.loadU16(12);
  return v > 5 ? XdpAction.Drop : XdpAction.Pass;
}`),
    ).toEqual(["TS18047 'v' is possibly 'null'. Check it first: if (v === null) return …;"]);
    expect(
      checkDiags(`export function xdp_t(ctx: XdpContext): XdpAction {
  return ctx.loadU32(0) + 1 > 5 ? XdpAction.Drop : XdpAction.Pass;
}`),
    ).toEqual(["TS2531 Object is possibly 'null'."]);
  });

  it("a stored value must fit the width; the offset is a u32", () => {
    expect(
      checkDiags(`export function xdp_t(ctx: XdpContext): XdpAction {
  const big: u32 = 70000;
  ctx.storeU16(0, big);
  ctx.storeU8(0, 256);
  ctx.loadU8(-1);
  return XdpAction.Pass;
}`),
    ).toEqual([
      "TS2322 Argument of type 'u32' is not assignable to parameter of type 'u16' (in a call to 'ctx.storeU16').",
      "TS2322 Type '256' is not assignable to type 'u8' (out of range).",
      "TS2322 Type '-1' is not assignable to type 'u32' (out of range).",
    ]);
  });

  it("a constant offset beyond any packet is refused at its line", () => {
    const r = compileToObject(
      XDP_HEAD +
        `export function xdp_t(ctx: XdpContext): XdpAction {
  return ctx.loadU32(65533) === null ? XdpAction.Drop : XdpAction.Pass;
}`,
      "t.ts",
      { sectionStyle: "tsebpf" },
    );
    expect(r.object).toBeUndefined();
    expect(r.diagnostics.map(formatCompact)).toEqual([
      "t.ts:3:22: error TSB9501: packet offset is beyond any packet (> 65535)",
    ]);
  });
});
