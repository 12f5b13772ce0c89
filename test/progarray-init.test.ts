// Static prog array initialisation in clang objects: `__array(values, int (void *))` in `.maps`
// with `.rel.maps` relocations naming programs (as libbpf fills them at load time). The loader
// and the VM fill the array from the object; the entry program's tail calls reach them with
// the same verdicts in both, with no --map.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { readElf } from "../compiler/elf/read-elf.js";
import { parseBtf } from "../compiler/elf/btf.js";
import { cli } from "./helpers/cli.js";
import { haveKernel, haveTools } from "./helpers/env.js";
import { suiteDir } from "./helpers/tmp.js";

const C = `#include <linux/types.h>
#include <linux/bpf.h>
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __array(name, val) typeof(val) *name[]
static long (*bpf_tail_call)(void *ctx, void *map, __u32 index) = (void *)12;
int xdp_drop(struct xdp_md *ctx);
int xdp_tx(struct xdp_md *ctx);
struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __uint(key_size, sizeof(__u32));
  __array(values, int (void *));
} JUMP SEC(".maps") = { .values = { [0] = (void *)&xdp_drop, [2] = (void *)&xdp_tx } };
SEC("xdp") int xdp_entry(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (data + 1 > end) return XDP_ABORTED;
  bpf_tail_call(ctx, &JUMP, *(__u8 *)data);
  return XDP_PASS;
}
SEC("xdp") int xdp_drop(struct xdp_md *ctx) { return XDP_DROP; }
SEC("xdp") int xdp_tx(struct xdp_md *ctx) { return XDP_TX; }
char _license[] SEC("license") = "GPL";
`;

const INC = `-I/usr/include/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`;
const file = suiteDir("tsebpf-progarr-", (f) => {
  writeFileSync(f("jump.c"), C);
  execFileSync("clang-19", [INC, "-O2", "-mcpu=v3", "-g", "-target", "bpf", "-c", f("jump.c"), "-o", f("jump.o")]);
});
/** First bytes 0..3: index 0 xdp_drop, 1 empty, 2 xdp_tx, 3 empty. */
const args = [0, 1, 2, 3].flatMap((i) => ["--packet", `0${i}${"00".repeat(15)}`]);
const WANT = ["XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_PASS"];
const verdicts = (out: string) => [...out.matchAll(/packet \d+: (XDP_\w+)/g)].map((m) => m[1]);

describe.skipIf(!haveTools("clang-19"))("static prog array initialisation (clang __array(values, …))", () => {
  it("the reader takes each .rel.maps relocation as the program at its index", () => {
    const jump = readBpfObject(readFileSync(file("jump.o"))).maps.find((m) => m.name === "JUMP")!;
    expect(jump.progInit).toEqual([
      { index: 0, program: "xdp_drop" },
      { index: 2, program: "xdp_tx" },
    ]);
    expect(jump.valueSize).toBe(4);
  });

  // The reader's two errors on a .rel.maps it cannot take, each one `tsebpf: error:` line with the
  // file and the offset of the offending bytes (crafted from jump.o)
  const bad = async (name: string, patch: (b: Uint8Array, v: DataView) => number) => {
    const bytes = new Uint8Array(readFileSync(file("jump.o")));
    const at = patch(bytes, new DataView(bytes.buffer));
    writeFileSync(file(name), bytes);
    const r = await cli("test", "--vm", file(name), "--program", "xdp_entry", ...args);
    return { ...r, at: `at offset 0x${at.toString(16)}` };
  };
  const relMaps = (b: Uint8Array) => {
    const elf = readElf(b);
    const maps = elf.sections.find((s) => s.name === ".maps")!;
    return elf.relocs.get(maps.index)!;
  };

  it("a .rel.maps entry that is not a values slot: one error line with the relocation's offset", async () => {
    let off = 0;
    const r = await bad("misaligned.o", (b, v) => {
      const rel = relMaps(b)[0]!; // [0] = xdp_drop: moved half a slot along
      off = rel.offset + 4;
      v.setBigUint64(rel.at, BigInt(off), true);
      return rel.at;
    });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `tsebpf: error: ${file("misaligned.o")}: not a valid BPF object: relocation in .maps at ${off} is not an entry of a map's values array ${r.at}\n`,
    );
  });

  it("a .rel.maps entry in a map that is not a prog array: one error line with the relocation's offset", async () => {
    const r = await bad("array.o", (b, v) => {
      const sec = readElf(b).sections.find((s) => s.name === ".BTF")!;
      const btf = parseBtf(sec.data, sec.offset);
      const id = btf.types.findIndex((t) => t.kind === "array" && t.nelems === 3); // JUMP's type: int (*)[3]
      expect(btf.types.filter((t) => t.kind === "array" && t.nelems === 3)).toHaveLength(1);
      v.setUint32(sec.offset + btf.offsets[id]! + 12 + 8, 2, true); // btf_array.nelems: BPF_MAP_TYPE_ARRAY
      return relMaps(b)[0]!.at;
    });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `tsebpf: error: ${file("array.o")}: not a valid BPF object: map JUMP: only prog arrays can be initialised (xdp_drop) ${r.at}\n`,
    );
  });

  it("the VM fills the array from the object: tail calls reach xdp_drop and xdp_tx", async () => {
    const r = await cli("test", "--vm", file("jump.o"), "--program", "xdp_entry", ...args);
    expect(verdicts(r.out), r.err).toEqual(WANT);
  });

  it.skipIf(!haveKernel)("the loader fills it in the kernel, as libbpf does: the same verdicts", async () => {
    const r = await cli("test", file("jump.o"), "--program", "xdp_entry", ...args);
    expect(verdicts(r.out), r.err).toEqual(WANT);
  });
});
