// Global data in clang objects (fixtures/c/globals.c: a .rodata port list and const volatile
// config, .data initial values, .bss counters, a static table in .rodata.cst8 and a string in
// .rodata.str1.1) loads as libbpf loads it: one-entry arrays named as libbpf names them, filled
// with the section, .rodata frozen and read-only to programs, ld_imm64 relocations as
// BPF_PSEUDO_MAP_VALUE with libbpf's offset. Checked offline, in the VM, in the kernel, and against
// bpftool's own load of the same object.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { internalMapName, objectName } from "../compiler/elf/read-globals.js";
import { relocateCalls, relocateMaps } from "../compiler/link/relocate.js";
import { PSEUDO } from "../compiler/abi.js";
import { slotIndex } from "../compiler/isa/encode.js";
import { loadObject } from "../loader/object.js";
import { pinAll } from "../loader/pin.js";
import { loadXdp } from "../loader/vm/testing.js";
import { haveKernel, haveTools } from "./helpers/env.js";
import { cli } from "./helpers/cli.js";
import { frame } from "./helpers/packets.js";
import { suiteDir } from "./helpers/tmp.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { testRunChecked } from "./helpers/twin.js";

const G = "fixtures/c/globals.clang19-g.o";
const bytes = () => new Uint8Array(readFileSync(G));
const ZERO = new Uint8Array(4);
// UDP to port 53 (in the .rodata list), to port 80 (not), and a TCP frame (never a port check).
const P53 = frame({ proto: 17, dstPort: 53 });
const P80 = frame({ proto: 17, dstPort: 80 });
const TCP = frame({ proto: 6, dstPort: 53 });
const MAPS = ["globals.rodata", "globals.data", "globals.bss", ".rodata.cst8", ".rodata.str1.1"];

describe("global data maps, offline", () => {
  it("names them as libbpf's internal_map_name does", () => {
    expect(objectName("fixtures/c/globals.clang19-g.o")).toBe("globals");
    expect(objectName("/x/my-fw.bpf.o")).toBe("my-fw");
    const obj = "my_object_name";
    expect(internalMapName(obj, ".rodata")).toBe("my_objec.rodata");
    expect(internalMapName(obj, ".bss")).toBe("my_objec.bss");
    expect(internalMapName(obj, ".kconfig")).toBe("my_obje.kconfig");
    expect(internalMapName(obj, ".rodata.abracadabra")).toBe(".rodata.abracad");
    expect(internalMapName(obj, ".data.str1.1")).toBe(".data.str1.1");
    expect(internalMapName("my-fw", ".data")).toBe("my_fw.data");
    expect(internalMapName("", ".rodata")).toBe(".rodata");
  });

  it("reads each non-empty section as a one-entry array with its contents, flags and variables", () => {
    const m = readBpfObject(bytes(), { name: "globals" });
    expect(m.maps.map((d) => [d.name, d.type, d.keySize, d.valueSize, d.maxEntries, d.flags])).toEqual([
      ["globals.rodata", 2, 4, 16, 1, 0x480], // BPF_F_RDONLY_PROG | BPF_F_MMAPABLE (has global variables)
      ["globals.data", 2, 4, 16, 1, 0x400],
      ["globals.bss", 2, 4, 24, 1, 0x400],
      [".rodata.cst8", 2, 4, 8, 1, 0x80], // only a static variable: not mmapable (libbpf ≥ 1.1)
      [".rodata.str1.1", 2, 4, 9, 1, 0x80], // no DATASEC: no BTF, no variables
    ]);
    const ro = m.maps[0].global!;
    expect(ro.vars).toEqual([
      { name: "blocked_ports", offset: 0, size: 8, constVolatile: true },
      { name: "drop_all", offset: 8, size: 4, int: { signed: false }, constVolatile: true },
      { name: "min_len", offset: 12, size: 4, int: { signed: true }, constVolatile: true },
    ]);
    expect(Buffer.from(ro.init).toString("hex")).toBe("35007b006c07cb2b0000000000000000");
    expect(m.maps[2].global!.vars.map((v) => [v.name, v.offset])).toEqual([
      ["packets", 0],
      ["last_class", 8],
      ["last_letter", 9],
      ["dropped", 16],
    ]);
    expect(Buffer.from(m.maps[4].global!.init).toString()).toBe("abcdefgh\0");
    expect(m.maps[4].btfValueTypeId).toBeUndefined();
    expect(m.maps[0].btfKeyTypeId).toBe(0);
  });

  it("relocates ld_imm64 of a variable as BPF_PSEUDO_MAP_VALUE, offset = symbol value + imm", () => {
    const m = readBpfObject(bytes(), { name: "globals" });
    const p = relocateCalls(m.programs[0], m.functions ?? []);
    const data = p.relocs.filter((r) => r.kind === "data");
    expect(data.map((r) => [r.symbol, r.data])).toContainEqual(["min_len", { section: ".rodata", offset: 12 }]);
    expect(data.map((r) => r.symbol)).toContain(".rodata.str1.1"); // a section symbol: offset in imm
    const out = relocateMaps(p.insns, p.relocs, (r) => (r.data ? 40 : 7));
    const ld = out[slotIndex(p.insns).indexOf(data.find((r) => r.symbol === "min_len")!.slot)]!;
    expect([ld.src, ld.imm, Number(BigInt.asUintN(64, ld.imm64!) >> 32n)]).toEqual([PSEUDO.MAP_VALUE, 40, 12]);
    const str = out[slotIndex(p.insns).indexOf(data.find((r) => r.symbol === ".rodata.str1.1")!.slot)]!;
    expect([str.src, Number(BigInt.asUintN(64, str.imm64!) >> 32n)]).toEqual([PSEUDO.MAP_VALUE, 0]);
  });
});

describe.skipIf(!haveTools("clang-19"))("global data in assembly (clang -S)", () => {
  const at = suiteDir("tsebpf-globals-asm-");
  it("assembles .bss zeros as llvm-mc does; the object has the same data maps and verdicts", async () => {
    const inc = `-I/usr/include/${execFileSync("uname", ["-m"], { encoding: "utf8" }).trim()}-linux-gnu`;
    execFileSync("clang-19", [inc, "-O2", "-target", "bpf", "-S", "fixtures/c/globals.c", "-o", at("globals.s")]);
    const r = await cli("build", at("globals.s"), "-o", at("globals.o"));
    expect([r.code, r.err]).toEqual([0, ""]);
    const shape = (b: Uint8Array) =>
      readBpfObject(b, { name: "globals" }).maps.map((m) => [m.name, m.valueSize, hex(m.global!.init)]);
    expect(shape(readFileSync(at("globals.o")))).toEqual(shape(readFileSync("fixtures/c/globals.clang19.o")));
    const t = loadXdp(at("globals.o"));
    expect([P53, P80].map((p) => t.run(p).verdict)).toEqual(["XDP_DROP", "XDP_PASS"]);
  });

  it("refuses a non-zero initializer in .bss with llvm-mc's words", async () => {
    writeFileSync(at("nz.s"), '\t.section\t.bss,"aw",@nobits\nx:\n\t.quad\t0, 1\n');
    const r = await cli("build", at("nz.s"), "-o", at("nz.o"));
    expect([r.code, r.err.split("\n")[0]]).toEqual([
      1,
      `${at("nz.s")}:3:11: error ASM004: SHT_NOBITS section '.bss' cannot have non-zero initializers`,
    ]);
  });
});

describe("global data in the VM", () => {
  it("runs with .rodata, .data and .bss as map values; counters are readable after the runs", () => {
    const t = loadXdp(G);
    expect([P53, P80, TCP, P53].map((p) => t.run(p).verdict)).toEqual(["XDP_DROP", "XDP_PASS", "XDP_PASS", "XDP_DROP"]);
    const g = t.run(frame({ proto: 17, dstPort: 11211 })).globals;
    expect(g).toMatchObject({ packets: 5, dropped: 3, verdict_pass: 2, drop_all: 0, min_len: 0 });
    expect(g.seen_bytes).toBe(7 + 3 * P53.length + P80.length + TCP.length); // sizes of the 5 packets
    expect(g.last_class).toBe(9); // ttl_class[64 & 7] from .rodata.cst8
    expect(g.last_letter).toBe("a".charCodeAt(0)); // "abcdefgh"[tos & 7] from .rodata.str1.1
    expect(Object.keys(t.run(P80).maps)).toEqual(MAPS);
  });
});

describe.skipIf(!haveKernel)("global data in the kernel", () => {
  it("tsebpf test: verdicts from the .rodata port list (kernel and --vm agree)", async () => {
    const args = ["--packet", hex(P53), "--packet", hex(P80), "--packet", hex(TCP)];
    for (const extra of [[], ["--vm"]]) {
      const r = await cli("test", G, ...args, ...extra);
      expect(r.err).toBe("");
      expect(r.out.split("\n").map((l) => l.split(/\s+/)[2])).toEqual(["XDP_DROP", "XDP_PASS", "XDP_PASS", undefined]);
    }
  });

  it("tsebpf test --json: the global variables after the runs, by name (kernel and --vm agree)", async () => {
    const args = ["--json", "--repeat", "2", "--packet", hex(P53), "--packet", hex(P80)];
    const [k, v] = [await cli("test", G, ...args), await cli("test", G, ...args, "--vm")];
    const globals = (r: { out: string }) => JSON.parse(r.out).globals;
    expect(globals(k)).toEqual(globals(v));
    expect(globals(k)).toEqual({
      "globals.rodata": { blocked_ports: [53, 123, 1900, 11211], drop_all: 0, min_len: 0 },
      "globals.data": { verdict_pass: 2, seen_bytes: 7 + 2 * (P53.length + P80.length) },
      "globals.bss": { packets: 4, last_class: 9, last_letter: 97, dropped: 2 },
      ".rodata.cst8": { ttl_class: [9, 1, 2, 3, 4, 5, 6, 7] },
      ".rodata.str1.1": { hex: hex(new TextEncoder().encode("abcdefgh\0")) },
    });
    expect(
      JSON.parse((await cli("test", "fixtures/c/hello.clang19-g.o", "--json", "--packet", hex(P53))).out),
    ).not.toHaveProperty("globals");
  });

  it("creates the maps libbpf creates (names, flags, frozen .rodata) and counts in .bss", () => {
    const obj = loadObject(readFileSync(G), { source: G });
    try {
      expect(obj.maps.map((m) => m.name)).toEqual(MAPS);
      const shown = obj.maps.map((m) => bpftoolMap(m.id()));
      expect(shown.map((s) => [s.name, s.flags, !!s.frozen])).toEqual([
        ["globals.rodata", 0x480, true],
        ["globals.data", 0x400, false],
        ["globals.bss", 0x400, false],
        [".rodata.cst8", 0x80, true],
        [".rodata.str1.1", 0x80, true],
      ]);
      expect([P53, P80, TCP].map((p) => testRunChecked(obj, p, { repeat: 2 }).retval)).toEqual([1, 2, 2]);
      const bss = obj.map("globals.bss")!.get(ZERO)!;
      expect([bss.readBigUInt64LE(0), bss[8], bss[9], bss.readBigUInt64LE(16)]).toEqual([6n, 9, 97, 2n]);
      expect(obj.map("globals.data")!.get(ZERO)!.readBigUInt64LE(8)).toBe(
        7n + 2n * BigInt(P53.length + P80.length + TCP.length),
      );
      expect(() => obj.map("globals.rodata")!.set(ZERO, new Uint8Array(16))).toThrow(/EPERM|frozen|Operation/);
    } finally {
      obj.close();
    }
  });

  it("a program that writes to .rodata is refused by the verifier and faults in the VM", () => {
    if (!haveTools("clang-19")) return;
    const f = suiteFile("ro-write.c");
    writeFileSync(f, RO_WRITE);
    const o = f.replace(/\.c$/, ".o");
    execFileSync("clang-19", ["-O2", "-g", "-target", "bpf", "-c", f, "-o", o]);
    expect(() => loadObject(readFileSync(o), { source: o }).close()).toThrow(/write into map forbidden/);
    expect(() => loadXdp(o).run(P53)).toThrow(/write of 4 bytes at ro_write.rodata\+0: ro_write.rodata is read-only/);
  });
});

describe.skipIf(!haveKernel || !haveTools("bpftool"))("global data: the same maps as bpftool (libbpf) makes", () => {
  const pins = suiteBpffs();
  it("names, types, sizes, read-only flag and contents agree with `bpftool prog load`", () => {
    const pin = join(pins(), "globals");
    execFileSync("bpftool", ["prog", "load", G, pin]);
    try {
      const ids: number[] = JSON.parse(
        execFileSync("bpftool", ["-j", "prog", "show", "pinned", pin], { encoding: "utf8" }),
      ).map_ids;
      const theirs = ids.map(bpftoolMap).sort((a, b) => a.name.localeCompare(b.name));
      const obj = loadObject(readFileSync(G), { source: G });
      try {
        const ours = obj.maps.map((m) => bpftoolMap(m.id())).sort((a, b) => a.name.localeCompare(b.name));
        // BPF_F_MMAPABLE differs by libbpf version (this bpftool's sets it on every data map)
        const shape = (s: MapShown) => [s.name, s.type, s.bytes_key, s.bytes_value, s.max_entries, s.flags & ~0x400];
        expect(ours.map(shape)).toEqual(theirs.map(shape));
        expect(ours.map((s) => dump(s.id))).toEqual(theirs.map((s) => dump(s.id)));
      } finally {
        obj.close();
      }
    } finally {
      rmSync(pin, { force: true });
    }
  });
});

describe.skipIf(!haveKernel || !haveTools("bpftool"))("global data maps pinned", () => {
  const pins = suiteBpffs();
  it("pins them as libbpf does ('.' → '_': bpffs refuses dots), readable with bpftool after the runs", () => {
    const obj = loadObject(readFileSync(G), { source: G });
    const dir = join(pins(), "g");
    try {
      testRunChecked(obj, P53, { repeat: 3 });
      const pinned = pinAll(obj, dir);
      expect(pinned.paths.map((p) => p.slice(dir.length + 1))).toEqual([
        "xdp_globals",
        "globals_rodata",
        "globals_data",
        "globals_bss",
        "_rodata_cst8",
        "_rodata_str1_1",
      ]);
      const bss = JSON.parse(
        execFileSync("bpftool", ["-j", "map", "dump", "pinned", join(dir, "globals_bss")], { encoding: "utf8" }),
      );
      expect(bss[0].formatted.value[".bss"]).toEqual([
        { packets: 3 },
        { last_class: 9 },
        { last_letter: 97 },
        { dropped: 3 },
      ]);
    } finally {
      obj.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

interface MapShown {
  id: number;
  name: string;
  type: string;
  flags: number;
  bytes_key: number;
  bytes_value: number;
  max_entries: number;
  frozen?: number;
}

function bpftoolMap(id: number): MapShown {
  return JSON.parse(execFileSync("bpftool", ["-j", "map", "show", "id", String(id)], { encoding: "utf8" }));
}

/** bpftool's dump of a map (with BTF: variables by name). */
function dump(id: number): unknown {
  return JSON.parse(execFileSync("bpftool", ["-j", "map", "dump", "id", String(id)], { encoding: "utf8" }));
}

const dir = suiteDir("tsebpf-globals-");
const suiteFile = (n: string) => dir(n);

const RO_WRITE = `
#define SEC(n) __attribute__((section(n), used))
const volatile unsigned int limit = 3;
SEC("xdp") int ro_write(void *ctx) { *(volatile unsigned int *)&limit = 1; return limit; }
char _license[] SEC("license") = "GPL";
`;
