// CO-RE in the kernel: C programs built here with clang-19 read struct iphdr through a local,
// reordered `iphdr___local` with preserve_access_index, so only relocations applied against
// /sys/kernel/btf/vmlinux give the right verdict; an unknown kind and an unguarded missing field
// are refused with a clear message by `tsebpf test`. The VM applies the same relocations.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { readElf, sectionByName } from "../compiler/elf/read-elf.js";
import { haveKernel, haveTools } from "./helpers/env.js";
import { cli } from "./helpers/cli.js";
import { XdpVm } from "../loader/vm/xdp.js";
import { frame } from "./helpers/packets.js";
import { suiteDir } from "./helpers/tmp.js";

const PRELUDE = `
#include <linux/types.h>
#include <linux/bpf.h>
#define SEC(name) __attribute__((section(name), used))
#define CORE(s, f, k) __builtin_preserve_field_info((s)->f, k)
struct iphdr___local {            /* the kernel's iphdr, reordered: offsets differ from vmlinux */
  __u32 daddr;
  __u8 protocol;
  __u8 version : 4, ihl : 4;
  __u8 ttl;
  __u32 saddr;                    /* inside an anonymous union in the kernel */
  __u16 tot_len;
  __u32 no_such_field;
} __attribute__((preserve_access_index));
char LICENSE[] SEC("license") = "GPL";
#define IP(ctx) void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end; \\
  if (data + 14 + 20 > end) return XDP_ABORTED; \\
  struct iphdr___local *ip = data + 14;
`;

const SOURCES: Record<string, string> = {
  // Every field kind: exists, byte size, the ihl bitfield (offset, size, shifts), plain loads.
  fields: `
static __always_inline __u64 bitfield(void *p, __u32 off, __u32 sz, __u32 l, __u32 r) {
  __u64 v = sz == 1 ? *(__u8 *)(p + off) : *(__u16 *)(p + off);
  return (v << l) >> r;
}
SEC("xdp") int core_fields(struct xdp_md *ctx) {
  IP(ctx)
  if (CORE(ip, no_such_field, 2)) return XDP_ABORTED;
  if (CORE(ip, tot_len, 1) != 2) return XDP_ABORTED;
  if (bitfield(ip, CORE(ip, ihl, 0), CORE(ip, ihl, 1), CORE(ip, ihl, 4), CORE(ip, ihl, 5)) != 5) return XDP_ABORTED;
  if (ip->ttl == 1 && ip->protocol == 17 && ip->saddr == __builtin_bswap32(0xc6336401)) return XDP_DROP;
  return XDP_PASS;
}`,
  // A field the kernel lacks, read without a bpf_core_field_exists guard.
  missing: `
SEC("xdp") int core_missing(struct xdp_md *ctx) {
  IP(ctx)
  return ip->no_such_field == 7 ? XDP_DROP : XDP_PASS;
}`,
  // TYPE_MATCHES: icmphdr___local has the kernel's shape (in another order), iphdr___local does not.
  // (Integer names are compared as libbpf does: clang's "unsigned short" is not GCC's "short unsigned int".)
  matches: `
struct icmphdr___local { __u8 code; __u8 type; } __attribute__((preserve_access_index));
SEC("xdp") int core_matches(struct xdp_md *ctx) {
  int u = __builtin_preserve_type_info(*(struct icmphdr___local *)0, 2);
  int i = __builtin_preserve_type_info(*(struct iphdr___local *)0, 2);
  return u == 1 && i == 0 ? XDP_DROP : XDP_PASS;
}`,
};

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** A UDP frame from 198.51.100.1 with the given TTL. */
function ttlFrame(ttl: number): string {
  const b = frame({ proto: 17, src: "198.51.100.1" });
  b[14 + 8] = ttl;
  return hex(b);
}

describe.skipIf(!haveKernel || !haveTools("clang-19"))("CO-RE relocations against the running kernel", () => {
  const f = suiteDir("tsebpf-core-", (p) => {
    for (const [name, body] of Object.entries(SOURCES)) {
      writeFileSync(p(`${name}.c`), PRELUDE + body);
      execFileSync("clang-19", [
        `-I/usr/include/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`,
        "-O2",
        "-g",
        "-target",
        "bpf",
        "-c",
        p(`${name}.c`),
        "-o",
        p(`${name}.o`),
      ]);
    }
  });

  it("the object carries the relocations (llvm-objdump-19 sees them)", () => {
    if (!haveTools("llvm-objdump-19")) return;
    const dump = execFileSync("llvm-objdump-19", ["-dr", f("fields.o")], { encoding: "utf8" });
    for (const k of ["field_exists", "byte_sz", "byte_off", "lshift_u64", "rshift_u64"])
      expect(dump).toContain(`CO-RE <${k}>`);
  });

  it("reads the kernel's layout: reordered fields, an anonymous union, a bitfield, a missing field", async () => {
    const drop = await cli("test", f("fields.o"), "--packet", ttlFrame(1));
    expect(drop.err).toBe("");
    expect(drop.out).toMatch(/packet 1: XDP_DROP\b/);
    const pass = await cli("test", f("fields.o"), "--packet", ttlFrame(64));
    expect(pass.out).toMatch(/packet 1: XDP_PASS\b/);
  });

  it("an unguarded read of a field the kernel lacks names the relocation", async () => {
    const r = await cli("test", f("missing.o"), "--packet", ttlFrame(1));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(
      /CO-RE relocation #0 \(byte_off of struct iphdr___local\.no_such_field\) at insn \d+ of xdp: the kernel's BTF has no such field/,
    );
    expect(r.err).not.toMatch(/\.(js|ts):\d+:\d+/); // no stack trace
  });

  it("type_matches compares shapes with the kernel's types", async () => {
    expect((await cli("test", f("matches.o"), "--packet", ttlFrame(1))).out).toMatch(/packet 1: XDP_DROP\b/);
  });

  it("the VM applies them against the same kernel BTF: the kernel's verdicts; a missing field faults when read", () => {
    const run = (name: string, ttl: number) =>
      XdpVm.fromElf(readFileSync(f(`${name}.o`))).run(Buffer.from(ttlFrame(ttl), "hex"));
    expect([run("fields", 1).verdict, run("fields", 64).verdict, run("matches", 1).verdict]).toEqual([1, 2, 1]);
    expect(() => run("missing", 1)).toThrow(
      /^CO-RE relocation #0 \(byte_off of struct iphdr___local\.no_such_field\) at insn \d+ of xdp: the kernel's BTF has no such field or value at insn \d+; the kernel's verifier would have rejected this program$/,
    );
  });

  it("a kind it does not know is refused, naming kind, instruction and section", async () => {
    const bytes = readFileSync(f("matches.o"));
    const ext = sectionByName(readElf(bytes), ".BTF.ext")!;
    const at = (o: number) => bytes.readUInt32LE(ext.offset + o);
    const firstRecord = ext.offset + at(4) + at(24) + 4 + 8; // header, core_relo offset, record size, section name + count
    bytes.writeUInt32LE(99, firstRecord + 12);
    writeFileSync(f("kind99.o"), bytes);
    const r = await cli("test", f("kind99.o"), "--packet", ttlFrame(1));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/CO-RE relocation kind 99 at insn \d+ of xdp is not supported/);
  });
});
