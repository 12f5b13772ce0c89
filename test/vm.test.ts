// The in-process VM without a kernel: faults name the instruction and region, BPF-to-BPF calls
// get their own frames, the xdp_md context and packet helpers behave as test-run's, maps follow
// the kernel's update/delete rules, and the VM never imports the koffi loader (import graph).
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assembleToObject } from "../compiler/asm/index.js";
import { XdpVm } from "../loader/vm/xdp.js";
import { compileDsl } from "./helpers/dsl.js";
import { importGraph } from "./helpers/imports.js";
import { frame } from "./helpers/packets.js";

/** An XDP program in LLVM assembly syntax (the body of one function). */
function asm(body: string, extra = ""): XdpVm {
  const text = `\t.section xdp/t,"ax",@progbits\n\t.globl t\n\t.type t,@function\nt:\n${body}\n${extra}\n\t.section license,"aw",@progbits\n_license:\n\t.asciz "GPL"\n`;
  const r = assembleToObject(text, "t.s", { sectionStyle: "tsebpf" });
  if (!r.object) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return XdpVm.fromElf(r.object);
}

const pkt = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

describe("VM faults", () => {
  it("stops an out-of-bounds packet read, naming the insn and the region", () => {
    const vm = asm("\tr2 = *(u32 *)(r1 + 0)\n\tr0 = *(u32 *)(r2 + 60)\n\texit");
    expect(() => vm.run(pkt(54))).toThrow(
      "out-of-bounds read of 4 bytes at packet+60 (packet is 54 bytes) at insn 1; the kernel's verifier would have rejected this program",
    );
    expect(vm.run(pkt(64)).verdict).toBe(0x3f3e3d3c);
  });

  it("refuses stores to the context, stack overflows and scalars used as pointers", () => {
    expect(() => asm("\t*(u32 *)(r1 + 0) = r1\n\tr0 = 2\n\texit").run(pkt(20))).toThrow(
      /write of 4 bytes at xdp_md\+0: xdp_md is read-only at insn 0/,
    );
    expect(() => asm("\t*(u64 *)(r10 - 520) = r1\n\tr0 = 2\n\texit").run(pkt(20))).toThrow(
      /out-of-bounds write of 8 bytes at stack-520 \(stack is 512 bytes\) at insn 0/,
    );
    expect(() => asm("\tr2 = 100\n\tr0 = *(u8 *)(r2 + 0)\n\texit").run(pkt(20))).toThrow(
      /read of 1 byte at 0x64, which is not a pointer at insn 1/,
    );
    expect(() => asm("\tr0 = *(u16 *)(r1 + 0)\n\texit").run(pkt(20))).toThrow(
      /invalid access to xdp_md: 2 bytes at offset 0/,
    );
  });

  it("stops a program that does not terminate and refuses helpers it does not have", () => {
    expect(() => asm("l:\n\tgoto l\n\texit").run(pkt(20))).toThrow(/more than 1000000 instructions executed/);
    expect(() => asm("\tcall 6\n\texit")).toThrow("insn 0: helper #6 (bpf_trace_printk) is not implemented in the VM");
    expect(() => asm("\tcall 9999\n\texit")).toThrow("insn 0: helper #9999 is not implemented in the VM");
  });
});

describe("VM execution", () => {
  it("gives each BPF-to-BPF call its own 512-byte stack and keeps r6..r9", () => {
    const vm = asm(
      "\tr6 = 7\n\tr1 = 5\n\t*(u64 *)(r10 - 8) = r1\n\tcall f\n\tr1 = *(u64 *)(r10 - 8)\n\tr0 += r1\n\tr0 += r6\n\texit",
      "f:\n\tr6 = 100\n\tr2 = 1000\n\t*(u64 *)(r10 - 8) = r2\n\tr0 = *(u64 *)(r10 - 8)\n\texit",
    );
    expect(vm.run(pkt(20)).verdict).toBe(1000 + 5 + 7);
  });

  it("reads xdp_md fields and moves the packet with adjust_head/adjust_tail", () => {
    // adjust_head(-4); write 0xaa at data; adjust_tail(+2); return data_end - data
    const vm = asm(
      [
        "\tr6 = r1",
        "\tr2 = -4",
        "\tcall 44",
        "\tif r0 != 0 goto bad",
        "\tr2 = *(u32 *)(r6 + 0)",
        "\tr3 = *(u32 *)(r6 + 4)",
        "\tr4 = r2",
        "\tr4 += 1",
        "\tif r4 > r3 goto bad",
        "\tr5 = 170",
        "\t*(u8 *)(r2 + 0) = r5",
        "\tr1 = r6",
        "\tr2 = 2",
        "\tcall 65",
        "\tif r0 != 0 goto bad",
        "\tr2 = *(u32 *)(r6 + 0)",
        "\tr3 = *(u32 *)(r6 + 4)",
        "\tr0 = r3",
        "\tr0 -= r2",
        "\texit",
        "bad:",
        "\tr0 = 99",
        "\texit",
      ].join("\n"),
    );
    const r = vm.run(pkt(20));
    expect(r.verdict).toBe(26);
    expect([...r.packet]).toEqual([0xaa, 0, 0, 0, ...pkt(20), 0, 0]);
    const tooFar = asm("\tr2 = -300\n\tcall 44\n\texit").run(pkt(20));
    expect(tooFar.verdict).toBe(2 ** 32 - 22); // -EINVAL, packet unchanged
    expect(tooFar.packet).toEqual(pkt(20));
  });

  it("grows metadata with adjust_meta in 4-byte steps up to 32 bytes, readable through data_meta", () => {
    const prog = (delta: number) =>
      asm(
        [
          "\tr6 = r1",
          `\tr2 = ${delta}`,
          "\tcall 54",
          "\tif r0 != 0 goto out",
          "\tr2 = *(u32 *)(r6 + 8)",
          "\tr3 = *(u32 *)(r6 + 0)",
          "\tr4 = 0x11223344",
          "\t*(u32 *)(r2 + 0) = r4",
          "\tr0 = r3",
          "\tr0 -= r2",
          "out:",
          "\texit",
        ].join("\n"),
      );
    expect(prog(-8).run(pkt(20)).verdict).toBe(8);
    expect(prog(-32).run(pkt(20)).verdict).toBe(32);
    for (const bad of [-36, -6, 4]) expect(prog(bad).run(pkt(20)).verdict, `delta ${bad}`).toBe(2 ** 32 - 22);
  });

  it("shifts by 32 and more, combines halves above 2^32 and adds atomically past 2^53 exactly", () => {
    const r5 = (((0x12345n << 32n) | (0xabcdefn << 28n)) ^ (1n << 32n)) >> 32n;
    const vm = asm(
      "\tr2 = 0x1fffffffffffff ll\n\t*(u64 *)(r10 - 8) = r2\n\tr3 = 1\n\tlock *(u64 *)(r10 - 8) += r3\n" +
        "\tr4 = *(u64 *)(r10 - 8)\n\tr4 >>= 21\n" + // 2^53 >> 21 = 2^32
        "\tr5 = 0x12345\n\tr5 <<= 32\n\tr6 = 0xabcdef\n\tr6 <<= 28\n\tr5 |= r6\n\tr5 ^= r4\n\tr5 s>>= 32\n" +
        `\tr7 = ${r5} ll\n\tr0 = 1\n\tif r5 != r7 goto +3\n\tr7 = 0x100000000 ll\n\tif r4 != r7 goto +1\n\tr0 = 2\n\texit`,
    );
    expect(vm.run(pkt(64)).verdict).toBe(2);
  });

  it("reads the virtual clock, a seeded random generator and the chosen CPU", () => {
    const vm = asm("\tcall 5\n\texit");
    vm.clock.ns = 123456789n;
    expect(vm.run(pkt(20)).verdict).toBe(123456789);
    const rand = (seed: number) => {
      const v = XdpVm.fromElf(build("\tcall 7\n\texit"), { seed });
      return [vm2(v), vm2(v)];
    };
    const vm2 = (v: XdpVm) => v.run(pkt(20)).verdict;
    expect(rand(1)).toEqual(rand(1));
    expect(rand(1)).not.toEqual(rand(2));
    expect(XdpVm.fromElf(build("\tcall 8\n\texit"), { cpus: 4, cpu: 3 }).run(pkt(20)).verdict).toBe(3);
  });
});

function build(body: string): Uint8Array {
  const text = `\t.section xdp/t,"ax",@progbits\n\t.globl t\n\t.type t,@function\nt:\n${body}\n\t.section license,"aw",@progbits\n_license:\n\t.asciz "GPL"\n`;
  return assembleToObject(text, "t.s", { sectionStyle: "tsebpf" }).object!;
}

describe("VM tail calls", () => {
  // Program a tail-calls index r7 of prog array JT (legacy `maps` section), else returns 7.
  const fn = (name: string, body: string) =>
    `\t.section xdp/${name},"ax",@progbits\n\t.globl ${name}\n\t.type ${name},@function\n${name}:\n${body}\n`;
  const text = [
    fn("a", "\tr2 = JT ll\n\tr3 = 1\n\tcall 12\n\tr0 = 7\n\texit"),
    fn("b", "\tr0 = 3\n\texit"),
    fn("c", "\tr2 = JT ll\n\tr3 = 2\n\tcall 12\n\tr0 = 9\n\texit"),
    `\t.section maps,"aw",@progbits\n\t.globl JT\nJT:\n\t.long 3\n\t.long 4\n\t.long 4\n\t.long 4\n\t.long 0\n`,
    `\t.section license,"aw",@progbits\n_license:\n\t.asciz "GPL"\n`,
  ].join("");
  const object = () => assembleToObject(text, "tail.s", { sectionStyle: "tsebpf" }).object!;

  it("jumps to the program in the slot and falls through on an empty one", () => {
    const vm = XdpVm.fromElf(object());
    expect(vm.run(pkt(20)).verdict).toBe(7);
    vm.progArray("JT").set(1, "b");
    expect(vm.run(pkt(20)).verdict).toBe(3);
  });

  it("stops after 33 tail calls as the kernel does, then falls through", () => {
    const vm = XdpVm.fromElf(object(), { program: "c" });
    vm.progArray("JT").set(2, "c");
    const r = vm.run(pkt(20));
    expect(r.verdict).toBe(9);
    expect(r.insns).toBe(34 * 3 + 2); // the entry and 33 tail calls run 3 insns each, the last falls through
  });
});

describe("VM maps", () => {
  it("counts per protocol in a per-CPU array on the chosen CPU", () => {
    const vm = XdpVm.fromElf(compileDsl(readFileSync("programs/counters.ts", "utf8"), "programs/counters.ts"), {
      cpus: 2,
      cpu: 1,
    });
    const udp = frame({ proto: 17 });
    for (let k = 0; k < 3; k++) expect(vm.run(udp).verdict).toBe(2);
    const key = new Uint8Array([17, 0, 0, 0]);
    expect(vm.map("COUNTERS").lookup(key, 1)).toEqual(new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0]));
    expect(vm.map("COUNTERS").lookup(key, 0)).toEqual(new Uint8Array(8));
  });

  it("keeps map values reachable past the first 512 memory regions (pointers beyond 2^31)", () => {
    const vm = XdpVm.fromElf(compileDsl(readFileSync("programs/firewall.ts", "utf8"), "programs/firewall.ts"));
    const src = (n: number) => [198, 51, 100 + (n >> 8), n & 0xff];
    const hostOrder = (b: number[]) => Uint8Array.from(b).reverse();
    for (let n = 0; n < 1000; n++) vm.map("BLOCKLIST").set(hostOrder(src(n)), new Uint8Array([1, 0, 0, 0]));
    const verdicts = new Set<number>();
    for (let n = 0; n < 1000; n++) {
      const f = frame({ proto: 17 });
      f.set(src(n), 26);
      verdicts.add(vm.run(f).verdict);
      vm.drainRing("TSEBPF_LOGS");
    }
    expect([...verdicts]).toEqual([1]);
    expect(vm.run(frame({ proto: 17, src: "203.0.113.9" })).verdict).toBe(2);
  });

  it("updates and deletes with the kernel's flags and errors", async () => {
    const { createMap } = await import("../loader/vm/maps.js");
    const h = createMap({ name: "H", type: 1, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 }, 1);
    const k = (n: number) => new Uint8Array([n, 0, 0, 0]);
    if (!("update" in h)) throw new Error("not a key/value map");
    expect(h.update(k(1), k(9), 2 /* EXIST */, 0)).toBe(-2);
    expect(h.update(k(1), k(9), 1 /* NOEXIST */, 0)).toBe(0);
    expect(h.update(k(1), k(9), 1, 0)).toBe(-17);
    expect(h.update(k(2), k(9), 0, 0)).toBe(-7);
    expect(h.delete(k(2))).toBe(-2);
    expect(h.delete(k(1))).toBe(0);
    const a = createMap({ name: "A", type: 2, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 }, 1);
    if (!("update" in a)) throw new Error("not a key/value map");
    expect(a.update(k(2), k(1), 0, 0)).toBe(-7);
    expect(a.update(k(1), k(1), 1, 0)).toBe(-17);
    expect(a.delete(k(1))).toBe(-22);
    const ring = createMap({ name: "R", type: 27, keySize: 0, valueSize: 0, maxEntries: 64, flags: 0 }, 1);
    if (!("output" in ring)) throw new Error("not a ring");
    // 32 + 32 bytes would fill the 64-byte ring: the kernel keeps it below full (test/ringbuf-output.test.ts)
    expect([ring.output(new Uint8Array(20)), ring.output(new Uint8Array(20)), ring.output(new Uint8Array(1))]).toEqual([
      0, -28, 0,
    ]);
    expect(ring.drain().map((r) => r.length)).toEqual([20, 1]);
    expect(ring.output(new Uint8Array(1))).toBe(0);
    expect(() => createMap({ name: "P", type: 4, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 }, 1)).toThrow(
      "map P: perf_event_array maps are not supported by the VM yet",
    );
  });

  it("LPM trie: longest matching prefix up to the key's own length, identity by masked prefix, flags and full", async () => {
    const { createMap } = await import("../loader/vm/maps.js");
    const k = (n: number) => new Uint8Array([n, 0, 0, 0]);
    const t = createMap({ name: "L", type: 11, keySize: 8, valueSize: 4, maxEntries: 3, flags: 1 }, 1);
    if (!("update" in t)) throw new Error("not a key/value map");
    const key = (prefix: number, a: number[]) => Uint8Array.from([prefix, 0, 0, 0, ...a]);
    expect(t.update(key(24, [198, 51, 100, 99]), k(24), 0, 0)).toBe(0); // stored as 198.51.100.0/24
    expect(t.update(key(32, [198, 51, 100, 7]), k(32), 0, 0)).toBe(0);
    expect(t.update(key(8, [198, 0, 0, 0]), k(8), 0, 0)).toBe(0);
    expect(t.lookup(key(32, [198, 51, 100, 7]), 0)).toEqual(k(32));
    expect(t.lookup(key(32, [198, 51, 100, 8]), 0)).toEqual(k(24));
    expect(t.lookup(key(16, [198, 51, 100, 7]), 0)).toEqual(k(8)); // the key's length bounds the match
    expect(t.lookup(key(32, [203, 0, 113, 1]), 0)).toBeUndefined();
    expect(t.lookup(key(33, [198, 51, 100, 7]), 0)).toBeUndefined();
    expect(t.update(key(24, [198, 51, 100, 1]), k(9), 1 /* NOEXIST */, 0)).toBe(-17);
    expect(t.update(key(16, [198, 51, 0, 0]), k(9), 0, 0)).toBe(-28);
    expect(t.update(key(33, [0, 0, 0, 0]), k(9), 0, 0)).toBe(-22);
    expect(t.delete(key(24, [198, 51, 100, 200]))).toBe(0);
    expect(t.lookup(key(32, [198, 51, 100, 8]), 0)).toEqual(k(8));
    // deleting a leaf leaves the shorter prefixes on its path; the key comes back as it was given
    expect(t.delete(key(32, [198, 51, 100, 7]))).toBe(0);
    expect(t.delete(key(32, [198, 51, 100, 7]))).toBe(-2);
    expect(t.lookup(key(32, [198, 51, 100, 7]), 0)).toEqual(k(8));
    expect(t.update(key(25, [198, 51, 100, 201]), k(25), 0, 0)).toBe(0);
    expect(t.lookup(key(32, [198, 51, 100, 130]), 0)).toEqual(k(25));
    expect(t.entries().map(([kk]) => [...kk])).toEqual([
      [8, 0, 0, 0, 198, 0, 0, 0],
      [25, 0, 0, 0, 198, 51, 100, 201],
    ]);
    const v6 = createMap({ name: "L6", type: 11, keySize: 20, valueSize: 4, maxEntries: 4, flags: 1 }, 1);
    if (!("update" in v6)) throw new Error("not a key/value map");
    const key6 = (prefix: number, a: number[]) =>
      Uint8Array.from([prefix, 0, 0, 0, ...a, ...Array(16 - a.length).fill(0)]);
    expect(v6.update(key6(32, [0x20, 0x01, 0x0d, 0xb8]), k(32), 0, 0)).toBe(0);
    expect(v6.update(key6(128, [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1]), k(128), 0, 0)).toBe(0);
    expect(v6.lookup(key6(128, [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1]), 0)).toEqual(k(128));
    expect(v6.lookup(key6(128, [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 2]), 0)).toEqual(k(32));
    expect(v6.lookup(key6(128, [0x20, 0x01, 0x0d, 0xb9]), 0)).toBeUndefined();
  });

  it("LRU hash: a full map evicts the least recently used key instead of failing", async () => {
    const { createMap } = await import("../loader/vm/maps.js");
    const k = (n: number) => new Uint8Array([n, 0, 0, 0]);
    const h = createMap({ name: "U", type: 9, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 }, 1);
    if (!("update" in h)) throw new Error("not a key/value map");
    expect(h.update(k(1), k(1), 0, 0)).toBe(0);
    expect(h.update(k(2), k(2), 0, 0)).toBe(0);
    h.lookup(k(1), 0); // 2 is now the least recently used
    expect(h.update(k(3), k(3), 0, 0)).toBe(0);
    expect(
      h
        .entries()
        .map(([key]) => key[0])
        .sort(),
    ).toEqual([1, 3]);
    expect(h.update(k(4), k(4), 2 /* EXIST */, 0)).toBe(-2);
  });
});

describe("VM stays free of the kernel loader", () => {
  it("loader/vm never imports loader/sys or koffi (static import graph, type-only imports aside)", () => {
    const seen = importGraph(
      ["loader/vm/xdp.ts", "loader/vm/conformance.ts"],
      (file, spec) => expect(spec, `${file} imports ${spec}`).not.toMatch(/koffi|\/sys\//),
      true,
    );
    expect([...seen].some((f) => f.endsWith("compiler/isa/decode.ts"))).toBe(true);
    expect([...seen].some((f) => f.includes("loader/sys"))).toBe(false);
  });

  it("`tsebpf test` reaches the kernel loader only by dynamic import (so --vm runs where koffi cannot load)", () => {
    const seen = importGraph(
      ["cli/commands/run-tests.ts"],
      (file, spec) =>
        expect(spec.startsWith(".") ? join(file, "..", spec) : spec, `${file} imports ${spec}`).not.toMatch(
          /koffi|sys\/(libc|bpf)|loader\/(object|test-run)\.js$/,
        ),
      true,
    );
    expect(seen.has("loader/vm/xdp.ts")).toBe(true);
  });
});
