// Kernel checks of our objects: bpftool loads them (hash map + ring buffer, .text subprogram,
// BTF func/line info) and iproute2 attaches one to a veth inside a network namespace made here.
import { execFileSync, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { loadObject } from "../loader/object.js";
import { haveKernel, haveTools } from "./helpers/env.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { firewallInput, helloInput } from "./elf-samples.js";
import { suiteDir } from "./helpers/tmp.js";

const tmp = suiteDir("tsebpf-elfk-");
const tag = `${process.pid}-${Date.now() % 100000}`;

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe.skipIf(!haveKernel || !haveTools("bpftool", "ip"))("kernel loads our objects", () => {
  const bpffs = suiteBpffs(); // a private bpffs: /sys/fs/bpf may not be one
  it.each([["xdp/xdp_firewall"], ["xdp"]])(
    "bpftool prog load: hash map, ring buffer, subprogram, line info (section %s)",
    (section) => {
      const obj = tmp(`fw-${section.replace("/", "_")}.o`);
      writeFileSync(obj, writeBpfObject(firewallInput(section)));
      const pin = join(bpffs(), `tsebpf-test-${tag}-${section.replace("/", "_")}`);
      try {
        run("bpftool", ["prog", "load", obj, pin, "type", "xdp"]);
        const show = JSON.parse(run("bpftool", ["-j", "prog", "show", "pinned", pin])) as {
          name: string;
          type: string;
          map_ids: number[];
          btf_id?: number;
        };
        expect(show.name).toBe("xdp_firewall");
        expect(show.type).toBe("xdp");
        expect(show.map_ids).toHaveLength(2);
        expect(show.btf_id).toBeGreaterThan(0);
        const maps = show.map_ids.map(
          (id) => JSON.parse(run("bpftool", ["-j", "map", "show", "id", String(id)])) as { name: string; type: string },
        );
        expect(maps.map((m) => m.type).sort()).toEqual(["hash", "ringbuf"]);
        const xlated = run("bpftool", ["prog", "dump", "xlated", "pinned", pin, "linum"]);
        expect(xlated).toContain("; if (BLOCKLIST.has(key)) return XdpAction.Drop; [file:fw.ts line_num:4");
        expect(xlated).toContain("int classify()");
      } finally {
        rmSync(pin, { force: true });
      }
    },
  );

  // readBpfObject's BTF (DATASEC sizes/VAR offsets fixed as libbpf does) and per-program func/line
  // info (with .text subprograms appended) must be accepted as is: the loader notes any fallback.
  const clangObjs = readdirSync("fixtures/c")
    .filter((f) => f.endsWith("-g.o"))
    .sort(); // clang emits BTF only with -g
  it.each(clangObjs)("the kernel accepts BTF and func/line info read from %s", (f) => {
    const notes: string[] = [];
    const obj = loadObject(readFileSync(`fixtures/c/${f}`), { verbose: (n) => notes.push(n) });
    try {
      expect(notes).toEqual([]);
      expect(obj.btfFd).toBeGreaterThanOrEqual(0);
      expect(obj.programs.length).toBeGreaterThan(0);
    } finally {
      obj.close();
    }
  });

  it("ip link set dev <veth> xdp obj out.o sec xdp/xdp_hello, in a namespace made by the test", () => {
    const obj = tmp("hello.o");
    writeFileSync(obj, writeBpfObject(helloInput()));
    const ns = `tsebpf-test-elf-${tag}`;
    try {
      run("ip", ["netns", "add", ns]);
      run("ip", ["-n", ns, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"]);
      run("ip", ["-n", ns, "link", "set", "dev", "veth0", "xdp", "obj", obj, "sec", "xdp/xdp_hello"]);
      const link = run("ip", ["-n", ns, "-d", "link", "show", "dev", "veth0"]);
      expect(link).toMatch(/prog\/xdp id \d+/);
      const id = /prog\/xdp id (\d+)/.exec(link)![1];
      const prog = JSON.parse(run("bpftool", ["-j", "prog", "show", "id", id])) as { name: string };
      expect(prog.name).toBe("xdp_hello");
      run("ip", ["-n", ns, "link", "set", "dev", "veth0", "xdp", "off"]);
    } finally {
      spawnSync("ip", ["netns", "delete", ns], { timeout: 20_000 });
    }
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(ns);
  });
});
