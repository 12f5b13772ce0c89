// Golden listings in fixtures/objdump/, produced by OUR objdump (UPDATE_FIXTURES=1 rewrites them;
// a missing golden fails), plus the CLI contract: flags, JSON, and one-line errors for bad input.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatObjdump, objdumpJson, type ObjdumpOptions } from "../compiler/objdump/format.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { firewallInput, helloInput } from "./elf-samples.js";
import { cli } from "./helpers/cli.js";
import { expectGolden } from "./helpers/golden.js";
import { importGraph } from "./helpers/imports.js";
import { suiteDir } from "./helpers/tmp.js";
import { buildProgram } from "./helpers/dsl.js";

const GOLD = "fixtures/objdump";
const golden = (name: string, actual: string): void => expectGolden(join(GOLD, name), actual);

const objects: [string, Uint8Array][] = [
  ...readdirSync("fixtures/c")
    .filter((f) => f.endsWith(".o"))
    .sort()
    .map((f): [string, Uint8Array] => [`fixtures/c/${f}`, readFileSync(`fixtures/c/${f}`)]),
  ["hello.o", writeBpfObject(helloInput())],
  ["fw.o", writeBpfObject(firewallInput())],
  ["portstats.o", buildProgram("portstats")], // a DSL program with a subprogram (BPF-to-BPF calls)
];
const base = (p: string) => p.replace(/^.*\//, "").replace(/\.o$/, "");

describe("objdump goldens", () => {
  it.each(objects)("%s", (file, bytes) => {
    golden(`${base(file)}.d.txt`, formatObjdump(bytes, file));
    const opts: ObjdumpOptions = { hex: true, relocs: true, source: true };
    golden(`${base(file)}.hex-r-S.txt`, formatObjdump(bytes, file, opts));
  });
  it.each([["fw.o"], ["fixtures/c/subprog.clang19-g.o"]])("JSON of %s", (file) => {
    const bytes = objects.find(([f]) => f === file)![1];
    golden(`${base(file)}.json`, objdumpJson(bytes, file, { relocs: true, source: true }));
  });
});

describe("tsebpf objdump CLI", () => {
  const at = suiteDir("tsebpf-objdump-cli-", (f) => writeFileSync(f("fw.o"), writeBpfObject(firewallInput())));

  it("prints the listing, honours -j, --no-show-raw-insn, -r, --json", async () => {
    const fw = at("fw.o");
    const d = await cli("objdump", fw);
    expect(d.code).toBe(0);
    expect(d.out).toBe(formatObjdump(readFileSync(fw), fw));
    const j = await cli("objdump", "-j", ".text", "--no-show-raw-insn", fw);
    expect(j.out).toContain("Disassembly of section .text:");
    expect(j.out).not.toContain("xdp/xdp_firewall");
    expect(j.out).toContain("       0:\tr0 = 1\n");
    const r = await cli("objdump", "-r", "--print-imm-hex", fw);
    expect(r.out).toContain("R_BPF_64_64\tBLOCKLIST");
    expect(r.out).toContain("r2 += -0x4");
    const none = await cli("objdump", "-j", "nosuch", fw);
    expect([none.code, none.out]).toEqual([0, `\n${fw}:\tfile format elf64-bpf\n`]);
    expect(none.err).toMatch(/^tsebpf: warning: section 'nosuch' .* not found/);
    const json = JSON.parse((await cli("objdump", "--json", fw)).out);
    const sections = json.disassembly.map((s: { section: string }) => s.section);
    expect(sections).toEqual([".text", "xdp/xdp_firewall"]); // .text first, as clang lays it out
  });

  it("bad input: one line naming the file (and the offset), exit 1", async () => {
    const fw = at("fw.o");
    const cases: [string, Uint8Array | undefined, RegExp][] = [
      ["missing.o", undefined, /^tsebpf: error: .*missing\.o: no such file or directory\n$/],
      [
        "text.o",
        new TextEncoder().encode("hello, not an object\n"),
        /^tsebpf: error: .*text\.o: not an ELF file \(bad magic\) at offset 0x0\n$/,
      ],
      [
        "trunc.o",
        readFileSync(fw).subarray(0, 40),
        /^tsebpf: error: .*trunc\.o: truncated ELF header at offset 0x0\n$/,
      ],
      [
        "shoff.o",
        patch(readFileSync(fw), 40, 0xfff0),
        /^tsebpf: error: .*shoff\.o: truncated section header table at offset 0xfff0\n$/,
      ],
    ];
    for (const [name, bytes, want] of cases) {
      const path = at(name);
      if (bytes) writeFileSync(path, bytes);
      const r = await cli("objdump", path);
      expect(r.code, name).toBe(1);
      expect(r.out).toBe("");
      expect(r.err).toMatch(want);
    }
  });
});

describe("objdump stays light", () => {
  it("cli/commands/objdump.ts never imports the DSL or chevrotain (static import graph)", () => {
    const seen = importGraph(["cli/commands/objdump.ts"], (file, spec) =>
      expect(spec, `${file} imports ${spec}`).not.toMatch(/chevrotain|\/dsl\//),
    );
    expect([...seen].some((f) => f.includes("compiler/isa/print.ts"))).toBe(true);
  });
});

function patch(b: Uint8Array, at: number, v: number): Uint8Array {
  const c = new Uint8Array(b);
  new DataView(c.buffer).setUint32(at, v, true);
  return c;
}
