// `--map` and `--block` entries: range checks against the map's BTF types (no silent wrap),
// strict hex:, LPM keys (CIDR, or a bare number = host-order address /32), negative keys after
// `--`, per-CPU values on every possible CPU (checked in the kernel on each CPU), a full map named.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { haveKernel, haveTools } from "./helpers/env.js";
import { cli, BIN, expectSameTest, withVm } from "./helpers/cli.js";
import { compileDsl } from "./helpers/dsl.js";
import { frame } from "./helpers/packets.js";
import { withObject } from "./helpers/run.js";
import { requireFreshDist } from "./helpers/dist.js";
import { suiteDir } from "./helpers/tmp.js";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { BpfMap, possibleCpus } from "../loader/map.js";
import { objectBtf, slotOf } from "../loader/map-codec.js";
import { blockAddress, encodeKey, encodeSlot } from "../cli/map-args.js";

const SOURCE = `import { XdpContext, XdpAction, HashMap, PerCpuArray, PerCpuHashMap, LpmTrie, u8, u32, i32, u64 } from "tsebpf";

export const SIGNED = new HashMap<i32, u32>(4);
export const SMALL = new HashMap<u32, u8>(2);
export const PCPU = new PerCpuArray<u32, u64>(4);
export const BLOCKLIST = new PerCpuHashMap<u32, u32>(4);
export const TRIE = new LpmTrie<u32, u32>(8);

// DROP when SIGNED[-1] == 3 and PCPU[0] == 1 on the CPU that runs it, else PASS
export function xdp_maps(ctx: XdpContext): XdpAction {
  const s = SIGNED.get(-1) ?? 0;
  const p = PCPU.get(0) ?? 0;
  if (s === 3 && p === 1) return XdpAction.Drop;
  return XdpAction.Pass;
}
`;
const OBJECT = compileDsl(SOURCE, "maps.ts");
const MODEL = readBpfObject(OBJECT);
const BTF = objectBtf(MODEL.btf);
/** A map of the object that is never created: enough to encode keys and values. */
const offline = (name: string) => new BpfMap(-1, MODEL.maps.find((m) => m.name === name)!);
const key = (map: string, text: string) => encodeKey(text, offline(map), BTF).toString("hex");
const value = (map: string, text: string) =>
  encodeSlot(text, slotOf(offline(map), "value", BTF), offline(map)).toString("hex");

describe("--map keys and values", () => {
  it("refuses values that do not fit the slot's type instead of wrapping", () => {
    expect(() => key("SMALL", "4294967297")).toThrow("--map SMALL: key '4294967297' does not fit u32 (0..4294967295)");
    expect(() => key("SMALL", "-1")).toThrow("--map SMALL: key '-1' does not fit u32 (0..4294967295)");
    expect(() => value("SMALL", "256")).toThrow("--map SMALL: value '256' does not fit u8 (0..255)");
    expect(() => key("SIGNED", "2147483648")).toThrow("does not fit i32 (-2147483648..2147483647)");
    expect(key("SIGNED", "-2147483648")).toBe("00000080");
    expect(key("SMALL", "4294967295")).toBe("ffffffff");
    expect(value("PCPU", "18446744073709551615")).toBe("ff".repeat(8));
  });

  it("without BTF, accepts either signedness of the slot's size and nothing more", () => {
    expect(encodeKey("-1", offline("SMALL")).toString("hex")).toBe("ffffffff");
    expect(() => encodeKey("4294967296", offline("SMALL"))).toThrow(
      "--map SMALL: key '4294967296' does not fit the 4-byte key (-2147483648..4294967295)",
    );
  });

  it("takes hex: only as whole pairs of hex digits of the exact size", () => {
    expect(() => key("SMALL", "hex:05000000zz")).toThrow(
      "--map SMALL: key 'hex:05000000zz': hex: needs pairs of hex digits",
    );
    expect(() => key("SMALL", "hex:0500000")).toThrow("hex: needs pairs of hex digits");
    expect(() => key("SMALL", "hex:0500")).toThrow("2 byte(s) given, the key is 4 bytes");
    expect(key("SMALL", "hex:05000000")).toBe("05000000");
  });

  it("reads LPM keys as CIDRs; a bare number is a host-order address with prefix /32", () => {
    expect(key("TRIE", "198.51.100.0/24")).toBe("18000000c6336400");
    expect(key("TRIE", "198.51.100.7")).toBe("20000000c6336407");
    expect(key("TRIE", "5")).toBe("2000000000000005");
    expect(key("TRIE", "0xC6336400/24")).toBe("18000000c6336400");
    expect(key("TRIE", "hex:1800000000000000")).toBe("1800000000000000");
    expect(() => key("TRIE", "198.51.100.0/33")).toThrow(
      "--map TRIE: key '198.51.100.0/33': an LPM trie key is a CIDR (198.51.100.0/24, 2001:db8::/32)",
    );
    expect(() => key("TRIE", "4294967296")).toThrow("an LPM trie key is a CIDR (198.51.100.0/24, 2001:db8::/32)");
    expect(() => key("SMALL", "198.51.100.0/24")).toThrow("a CIDR range needs an LPM trie map");
  });

  it("checks array indexes against max_entries", () => {
    expect(() => key("PCPU", "4")).toThrow("--map PCPU: key '4' is out of range: the array has 4 entries (keys 0..3)");
  });
});

describe.skipIf(!haveKernel)("--map and --block in the kernel", () => {
  const f = suiteDir("tsebpf-mapentry-", (f) => writeFileSync(f("maps.o"), OBJECT));
  const pkt = Buffer.from(frame()).toString("hex");

  it("accepts negative keys after -- and names the map, key and type in errors", async () => {
    const ok = await cli("test", f("maps.o"), "--packet", pkt, "--map", "PCPU", "0=1", "--map", "SIGNED", "--", "-1=3");
    expect(ok.err).toBe("");
    expect(ok.out).toMatch(/^packet 1: XDP_DROP /);
    const bad = await cli("test", f("maps.o"), "--packet", pkt, "--map", "SMALL", "1=300");
    expect([bad.code, bad.err]).toEqual([
      1,
      "tsebpf: error: --map SMALL: value '300' for key '1' does not fit u8 (0..255)\n",
    ]);
    const stray = await cli("test", f("maps.o"), "--packet", pkt, "--map", "SIGNED", "--", "x");
    expect(stray.err).toMatch(/unexpected argument 'x' \(only --map key=value entries may follow --/);
  });

  it("names a full map and its max_entries instead of E2BIG", async () => {
    const r = await cli("test", f("maps.o"), "--packet", pkt, "--map", "SMALL", "1=1", "2=1", "3=1");
    expect([r.code, r.err]).toEqual([
      1,
      "tsebpf: error: map SMALL is full: it holds at most 2 entries (max_entries), so '3' was not added\n",
    ]);
  });

  it("writes a per-CPU value on every possible CPU (--map and --block)", () => {
    withObject(OBJECT, (obj) => {
      const pcpu = obj.map("PCPU")!;
      pcpu.set(Buffer.alloc(4), Buffer.from("0100000000000000", "hex"));
      const all = pcpu.get(Buffer.alloc(4))!;
      expect(all.length).toBe(8 * possibleCpus());
      for (let c = 0; c < possibleCpus(); c++) expect(all.readBigUInt64LE(8 * c)).toBe(1n);
      const block = obj.map("BLOCKLIST")!;
      blockAddress(block, "198.51.100.3");
      const got = block.get(Buffer.from([3, 100, 51, 198]))!;
      for (let c = 0; c < possibleCpus(); c++) expect(got.readUInt32LE(8 * c)).toBe(1);
    });
  });

  it.skipIf(!haveTools("taskset"))("gives the same verdict on every CPU", () => {
    requireFreshDist(); // runs bin/tsebpf.js over dist/
    const cpus = Array.from({ length: possibleCpus() }, (_, c) => c).filter(
      (c) => spawnSync("taskset", ["-c", String(c), "true"]).status === 0,
    );
    const argv = ["test", f("maps.o"), "--packet", pkt, "--map", "PCPU", "0=1", "--map", "SIGNED", "--", "-1=3"];
    const on = (c: number, args: string[]) => {
      const r = spawnSync("taskset", ["-c", String(c), process.execPath, BIN, ...args], {
        encoding: "utf8",
        timeout: 20000,
      });
      return r.stdout + r.stderr;
    };
    const verdicts = cpus.map((c) => on(c, argv));
    expectSameTest("per-CPU --map --vm", on(cpus[0]!, withVm(argv)), verdicts[0]!); // issue 11 §4
    console.log(`per-CPU --map: verdicts checked on ${cpus.length} CPU(s)`);
    for (const v of verdicts) expect(v).toMatch(/^packet 1: XDP_DROP /);
  });
});
