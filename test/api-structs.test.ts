// Struct keys and values as plain objects in the library API's map handles, in the kernel:
// programs/flowstats.ts's FLOWS (struct key with padding, u64 counters) read after test runs and
// written from user space; fixtures/dsl-samples/user-maps.ts's nested struct, FixedArray, Ipv6Addr
// and bool fields read back by the program; a per-CPU array of structs summed field by field; the
// .bigint view; LoaderErrors naming the field for missing, extra, mistyped and out-of-range values.
// Then the redirect maps and the prog array: interfaces by name or ifindex, a program handle.
import { describe, expect, it } from "vitest";
import { haveKernel, kernelSkipReason } from "./helpers/env.js";
import { frame, frame6, ip4 } from "./helpers/packets.js";
import { apiTestRun } from "./helpers/twin.js";
import { load, LoaderError, type MapHandle } from "../loader/api/index.js";

const USER_MAPS = "fixtures/dsl-samples/user-maps.ts";

function caught(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof LoaderError) return `${e.code} ${e.message}`;
    throw e;
  }
  throw new Error("did not throw");
}

const CFG = {
  inner: { a: 3, b: 32 },
  hist: [1, 2, 3, 4],
  addr: "2001:db8::7",
  on: true,
  big: 2n ** 60n,
};

describe.skipIf(!haveKernel)(`struct keys and values in map handles ${kernelSkipReason}`, () => {
  it("flowstats: FLOWS entries are {srcAddr, …} → {packets, bytes}; set() counts on from user space", async () => {
    using obj = await load("programs/flowstats.ts");
    const flows = obj.maps.FLOWS!;
    const udp = frame({ src: "198.51.100.7", dst: "203.0.113.1", srcPort: 1000, dstPort: 53, payload: 10 });
    apiTestRun(obj, udp, { repeat: 3 });
    const key = { srcAddr: ip4("198.51.100.7"), dstAddr: ip4("203.0.113.1"), srcPort: 1000, dstPort: 53, proto: 17 };
    expect([...flows.entries()]).toEqual([[key, { packets: 3, bytes: 3 * udp.length }]]);
    flows.set(key, { packets: 100, bytes: 2n ** 40n });
    apiTestRun(obj, udp);
    expect(flows.get(key)).toEqual({ packets: 101, bytes: 2 ** 40 + udp.length });
    expect(flows.bigint.get(key)).toEqual({ packets: 101n, bytes: 2n ** 40n + BigInt(udp.length) });
    flows.set({ ...key, srcPort: 1001 }, { packets: 2n ** 60n, bytes: 0 });
    expect(caught(() => flows.get({ ...key, srcPort: 1001 }))).toBe(
      "bad-value map FLOWS: value.packets 1152921504606846976 does not fit a JS number exactly (beyond 2^53)\n" +
        "  hint: read it through the .bigint view: maps.FLOWS.bigint.get(key)",
    );
    expect([flows.delete({ ...key, srcPort: 1001 }), flows.has(key), [...flows.keys()]]).toEqual([true, true, [key]]);
  });

  it("wrong struct values are LoaderErrors naming the field", async () => {
    using obj = await load("programs/flowstats.ts");
    const flows = obj.maps.FLOWS as MapHandle;
    const key = { srcAddr: 1, dstAddr: 2, srcPort: 3, dstPort: 4, proto: 6 };
    expect(
      [
        () => flows.set(key, { packets: 1 }),
        () => flows.set(key, { packets: 1, bytes: 2, bits: 3 }),
        () => flows.set(key, { packets: "1", bytes: 2 }),
        () => flows.set(key, { packets: 1.5, bytes: 2 }),
        () => flows.set(key, { packets: -1, bytes: 2 }),
        () => flows.set(key, 5),
        () => flows.set({ ...key, proto: 256 }, { packets: 1, bytes: 2 }),
        () => flows.get({ srcAddr: 1 }),
      ].map(caught),
    ).toEqual([
      "bad-value map FLOWS: value.bytes: missing (struct FlowStats {packets, bytes})",
      "bad-value map FLOWS: value: no field 'bits' in struct FlowStats {packets, bytes}",
      "bad-value map FLOWS: value.packets: expected an integer (u64), not '1'",
      "bad-value map FLOWS: value.packets: 1.5 is not an integer",
      "bad-value map FLOWS: value.packets: -1 does not fit u64 (0..18446744073709551615)",
      "bad-value map FLOWS: value: expected an object (struct FlowStats {packets, bytes}), not number 5",
      "bad-key map FLOWS: key.proto: 256 does not fit u8 (0..255)",
      "bad-key map FLOWS: key.dstAddr: missing (struct FlowKey {srcAddr, dstAddr, srcPort, dstPort, proto})",
    ]);
    expect([...flows.keys()]).toEqual([]);
  });

  it("nested structs, FixedArray, Ipv6Addr and bool fields: the program reads what set() wrote", async () => {
    using obj = await load(USER_MAPS);
    const m = obj.maps;
    m.CFG!.set(0, CFG);
    expect(m.CFG!.bigint.get(0)).toEqual({ ...CFG, inner: { a: 3n, b: 32n }, hist: [1n, 2n, 3n, 4n] });
    const src = "2001:db8::7";
    expect(apiTestRun(obj, frame6(src, "2001:db8::1")).verdict).toBe("XDP_DROP");
    expect(apiTestRun(obj, frame6("2001:db8::8", "2001:db8::1")).verdict).toBe("XDP_PASS");
    expect([...m.OUT!.bigint.entries()].map(([, v]) => v)).toEqual([42n, 3n, 2n ** 60n, 0n]);
    expect(new Map(m.SEEN!.entries())).toEqual(
      new Map([
        [
          { addr: src, port: 7 },
          { a: 3, b: 5 },
        ],
        [
          { addr: "2001:db8::8", port: 7 },
          { a: 3, b: 5 },
        ],
      ]),
    );
    expect(m.SEEN!.get({ addr: "2001:db8:0:0::7", port: 7 })).toEqual({ a: 3, b: 5 });
    expect(
      [
        () => m.CFG!.set(0, { ...CFG, hist: [1, 2, 3] }),
        () => m.CFG!.set(0, { ...CFG, addr: "198.51.100.1" }),
        () => m.CFG!.set(0, { ...CFG, on: 2 }),
        () => m.CFG!.set(0, { ...CFG, inner: { a: 70000, b: 0 } }),
        () => m.CFG!.set(0, { ...CFG, hist: [1, 2, "3", 4] }),
      ].map(caught),
    ).toEqual([
      "bad-value map CFG: value.hist: expected 4 elements, not 3",
      "bad-value map CFG: value.addr: expected an IPv6 address ('2001:db8::1'), not '198.51.100.1'",
      "bad-value map CFG: value.on: 2 does not fit bool (0..1)",
      "bad-value map CFG: value.inner.a: 70000 does not fit u16 (0..65535)",
      "bad-value map CFG: value.hist[2]: expected an integer (u32), not '3'",
    ]);
  });

  it("a per-CPU array of structs: one struct per CPU, .sum() adds field by field", async () => {
    using obj = await load(USER_MAPS);
    const stats = obj.maps.STATS!;
    obj.maps.CFG!.set(0, CFG);
    apiTestRun(obj, frame6("2001:db8::8", "2001:db8::1"), { repeat: 4 });
    const v = stats.get(1) as { a: number; b: number }[] & { sum(): { a: number; b: number } };
    expect(v.sum()).toEqual({ a: 4, b: 8 });
    stats.set(0, { a: 1, b: 2 }); // every CPU
    expect((stats.get(0) as { sum(): unknown }).sum()).toEqual({ a: v.length, b: 2 * v.length });
    stats.set(
      0,
      v.map((_, i) => ({ a: i, b: 1 })),
    );
    expect((stats.bigint.get(0) as { sum(): unknown }).sum()).toEqual({
      a: BigInt((v.length * (v.length - 1)) / 2),
      b: BigInt(v.length),
    });
  });

  it("redirect maps take interfaces, a prog array takes a program", async () => {
    using obj = await load(USER_MAPS);
    const m = obj.maps;
    m.PORTS!.set(0, "lo");
    m.PORTS!.set(1, 1);
    m.PORTS_BY_IF!.set(1, "lo");
    m.CPUS!.set(0, 256);
    expect([m.PORTS!.get(0), m.PORTS!.get(1), m.PORTS_BY_IF!.get(1), m.CPUS!.get(0)]).toEqual([1, 1, 1, 256]);
    expect(
      [
        () => m.PORTS!.set(0, "tsebpf-no-such-if"),
        () => m.PORTS!.set(4, 1),
        () => m.JUMP!.set(0, 3),
        () => m.XSKS!.set(0, "x"),
      ].map(caught),
    ).toEqual([
      "bad-value map PORTS: value 'tsebpf-no-such-if': a devmap takes an interface: its name or ifindex (see `ip link`)",
      "bad-key map PORTS: key 4: out of range: the map has 4 entries (keys 0..3)",
      "bad-value map JUMP: value 3: a prog array takes a program: obj.program(name)",
      "bad-value map XSKS: value 'x': expected an integer, not string",
    ]);
    m.CFG!.set(0, { ...CFG, inner: { a: 99, b: 0 } });
    expect(apiTestRun(obj, frame()).verdict).toBe("XDP_PASS");
    m.JUMP!.set(0, obj.program("xdp_drop"));
    expect(m.JUMP!.get(0)).toBeGreaterThan(0);
    expect(apiTestRun(obj, frame()).verdict).toBe("XDP_DROP");
    expect(m.JUMP!.delete(0)).toBe(true);
    expect(apiTestRun(obj, frame()).verdict).toBe("XDP_PASS");
  });
});
