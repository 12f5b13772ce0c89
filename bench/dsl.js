#!/usr/bin/env node
// DSL benchmark (plain JS over dist/): each program in programs/ beside its C twin
// (fixtures/c-twins, clang-19 -O2 -mcpu=v3): static instruction count (8-byte slots), instructions
// the verifier processed (bpf_prog_info.verified_insns), BPF_PROG_TEST_RUN ns/packet (median of
// runs of REPEAT packets, interleaved), then `tsebpf build programs/firewall.ts` whole-process time
// against `node -e 0`; beside them the in-process VM's ns/packet on our object and its ratio to the
// kernel's (JIT), and 10,000 packets through programs/firewall.ts with tsebpf/testing as a unit
// test would run them. Targets: insns ≤ clang, ns ratio ≤ 1.05, build ≤ 1.5 × node -e 0, VM ≤ 20 ×
// the kernel on the firewall, 10,000 firewall packets < 1 s.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compare, median, row } from "./_util.js";

const root = new URL("../", import.meta.url).pathname;
const dist = join(root, "dist");
const { compileToObject } = await import(join(dist, "compiler/dsl/index.js"));
const { readBpfObject } = await import(join(dist, "compiler/elf/read-object.js"));
const { slotIndex } = await import(join(dist, "compiler/isa/encode.js"));
const { XdpVm } = await import(join(dist, "loader/vm/xdp.js"));
const { loadXdp } = await import(join(dist, "loader/vm/testing.js"));

const PROGRAMS = ["hello", "parse", "firewall", "counters", "cidr"];
const REPEAT = Number(process.env.BENCH_REPEAT ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const VM_PACKETS = Number(process.env.BENCH_VM_PACKETS ?? 20_000);

function build(name) {
  const file = join(root, "programs", `${name}.ts`);
  const r = compileToObject(readFileSync(file, "utf8"), `programs/${name}.ts`, { sectionStyle: "tsebpf" });
  if (!r.object) throw new Error(`${name}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r.object;
}

const twin = (name) => new Uint8Array(readFileSync(join(root, "fixtures/c-twins", `${name}.o`)));
/** Instruction slots of the first program (an ld_imm64 takes two). */
const slots = (bytes) => slotIndex(readBpfObject(bytes).programs[0].insns).at(-1);

/** A UDP frame 198.51.100.1 → 198.51.100.2 (documentation range; never sent anywhere). */
function packet() {
  const b = new Uint8Array(46);
  b.set([0x08, 0x00], 12);
  b.set([0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17], 14);
  b.set([198, 51, 100, 1, 198, 51, 100, 2], 26);
  b.set([0x9c, 0x40, 0, 53, 0, 12], 34);
  return b;
}

const table = [
  ["program", "insns ours", "clang", "verified ours", "clang", "ns/pkt ours", "clang", "ratio", "VM ns/pkt", "VM/ours"],
];
const widths = [10, 11, 6, 14, 6, 12, 7, 6, 10, 8];

/** The VM's ns per packet on an object: median of RUNS runs of VM_PACKETS packets (after a warm-up run). */
function vmNs(bytes, pkt) {
  const vm = XdpVm.fromElf(bytes);
  const once = () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < VM_PACKETS; i++) vm.run(pkt);
    return Number(process.hrtime.bigint() - t0) / VM_PACKETS;
  };
  once();
  return median(Array.from({ length: RUNS }, once));
}
let kernel = process.getuid?.() === 0;
let loader;
if (kernel) {
  try {
    loader = {
      ...(await import(join(dist, "loader/object.js"))),
      ...(await import(join(dist, "loader/test-run.js"))),
      ...(await import(join(dist, "loader/sys/bpf.js"))),
    };
  } catch (e) {
    console.log(`loader unavailable (${e.message}); static counts only`);
    kernel = false;
  }
}

const ratios = [];
for (const name of PROGRAMS) {
  const objs = [build(name), twin(name)];
  const cols = [name, slots(objs[0]), slots(objs[1])];
  const vm = vmNs(objs[0], packet());
  if (!kernel) {
    table.push([...cols, "-", "-", "-", "-", "-", vm.toFixed(0), "-"]);
    continue;
  }
  const loaded = objs.map((o) => loader.loadObject(o));
  try {
    const fds = loaded.map((l) => l.program().fd);
    const verified = fds.map((fd) => loader.objInfo(fd, 232).readUInt32LE(216));
    const pkt = packet();
    const ns = [[], []];
    for (let i = 0; i < RUNS; i++)
      fds.forEach((fd, j) => ns[j].push(loader.testRun(fd, pkt, { repeat: REPEAT }).durationNs));
    const [a, b] = ns.map(median);
    ratios.push(a / b);
    table.push([
      ...cols,
      verified[0],
      verified[1],
      a.toFixed(1),
      b.toFixed(1),
      (a / b).toFixed(2),
      vm.toFixed(0),
      (vm / a).toFixed(1),
    ]);
  } finally {
    loaded.forEach((l) => l.close());
  }
}
for (const r of table) console.log(row(r, widths));
if (ratios.length)
  console.log(
    `geometric mean ns ratio: ${Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length).toFixed(3)} (target ≤ 1.05)`,
  );
console.log(
  `VM: 10,000 firewall packets through tsebpf/testing (loadXdp + run, as a unit test): ${firewallUnitMs().toFixed(0)} ms (target < 1000)`,
);

/** examples/firewall.test.ts's loop: build, then 10,000 packets from ten sources, one blocked. */
function firewallUnitMs() {
  const t0 = process.hrtime.bigint();
  const fw = loadXdp(join(root, "programs/firewall.ts"), { maps: { BLOCKLIST: [["198.51.100.7", 1]] } });
  const pkt = packet();
  for (let i = 0; i < 10_000; i++) {
    pkt[29] = i % 10;
    fw.run(pkt);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const dir = mkdtempSync(join(tmpdir(), "tsebpf-bench-dsl-"));
try {
  const BUILD_RUNS = Number(process.env.BENCH_BUILD_RUNS ?? 9);
  const [t, n] = compare(
    [
      {
        cmd: join(root, "bin/tsebpf"),
        args: ["build", "programs/firewall.ts", "-o", join(dir, "out.o")],
        opts: { cwd: root },
      },
      { cmd: process.execPath, args: ["-e", "0"] },
    ],
    BUILD_RUNS,
  );
  console.log(
    row(
      ["build (ms, median of " + BUILD_RUNS + ")", "tsebpf build firewall.ts", "node -e 0", "ratio"],
      [26, 26, 10, 6],
    ),
  );
  console.log(row(["", t.toFixed(1), n.toFixed(1), (t / n).toFixed(2) + " (target ≤ 1.5)"], [26, 26, 10, 6]));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
