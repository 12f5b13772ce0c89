// Objects from our assembler load in the real kernel through bpftool (libbpf): programs/hello.s,
// and clang-19's -S output of the firewall fixture (BTF-defined maps, .BTF/.BTF.ext, without DWARF).
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haveKernel, haveTools, kernelSkipReason } from "./helpers/env.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { suiteDir } from "./helpers/tmp.js";
import { assembleToObject } from "../compiler/asm/index.js";

function build(src: string, file: string): Uint8Array {
  const r = assembleToObject(src, file, { sectionStyle: "tsebpf" });
  expect(r.diagnostics).toEqual([]);
  return r.object!;
}

function stripDwarf(src: string): string {
  let dbg = false;
  return src
    .split("\n")
    .filter((l) => {
      const s = /^\s*\.section\s+([^,\s]+)/.exec(l);
      if (s) dbg = s[1].startsWith(".debug");
      if (/^\s*\.text\b/.test(l)) dbg = false;
      return !dbg && !/^\s*\.(loc|cfi_\w+|file\s+\d)\b/.test(l);
    })
    .join("\n");
}

describe.skipIf(!haveKernel || !haveTools("bpftool", "clang-19"))(
  `assembled objects in the kernel ${kernelSkipReason}`,
  () => {
    const at = suiteDir("tsebpf-asmk-");
    const bpffs = suiteBpffs(); // a private bpffs: /sys/fs/bpf may not be one

    function load(obj: Uint8Array, name: string): string {
      const path = at(`${name}.o`);
      writeFileSync(path, obj);
      const pin = join(bpffs(), "asm");
      mkdirSync(pin, { recursive: true });
      try {
        execFileSync("bpftool", ["prog", "loadall", path, pin, "type", "xdp"], { stdio: "pipe" });
        return execFileSync("bpftool", ["prog", "show", "pinned", join(pin, name)], { encoding: "utf8" });
      } finally {
        rmSync(pin, { recursive: true, force: true });
      }
    }

    it("programs/hello.s loads as an XDP program", () => {
      const shown = load(build(readFileSync("programs/hello.s", "utf8"), "hello.s"), "xdp_hello");
      expect(shown).toMatch(/xdp\s+name xdp_hello .* gpl/);
      expect(shown).toMatch(/xlated 16B/);
    });

    it("clang -S firewall with BTF maps loads with its maps and BTF", () => {
      const inc = `-I/usr/include/${execFileSync("uname", ["-m"], { encoding: "utf8" }).trim()}-linux-gnu`;
      const s = at("fw.s");
      execFileSync("clang-19", [inc, "-O2", "-g", "-target", "bpf", "-S", "fixtures/c/firewall.c", "-o", s]);
      const shown = load(build(stripDwarf(readFileSync(s, "utf8")), "fw.s"), "xdp_firewall");
      expect(shown).toMatch(/map_ids \d+,\d+/);
      expect(shown).toMatch(/btf_id \d+/);
    });
  },
);
