#!/usr/bin/env node
// DSL benchmark (plain JS over dist/): every XDP program of every programs/*.ts beside its C twin
// (the program of the same name in fixtures/c-twins/<file>.o, clang-19 -O2 -mcpu=v3; a twin with no
// DSL program, or a program with no twin, gets a row with "-" on the missing side, and a line after
// the table names every row left out of the means): instruction slots (an ld_imm64 takes two; with
// the subprograms a program calls), instructions the verifier processed (bpf_prog_info.verified_insns)
// and BPF_PROG_TEST_RUN ns/packet (median of RUNS runs of REPEAT packets, ours and clang's
// alternating), each with its ratio ours/clang and a geometric mean over the rows that have both;
// beside them the in-process VM's ns/packet on our object and its ratio to the kernel's (JIT). Then
// 10,000 packets through programs/firewall.ts with tsebpf/testing as a unit test would run them and
// `tsebpf build programs/firewall.ts` whole-process time against `node -e 0`. Targets (issue 9 §5):
// slots and verified ≤ clang on every row, slots geomean ≤ 0.9, ns geomean ≤ 1.0; build ≤ 1.5 ×
// node -e 0; 10,000 firewall packets < 1 s.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compare, median, row } from "./_util.js";

const root = new URL("../", import.meta.url).pathname;
const dist = join(root, "dist");
const { compileToObject } = await import(join(dist, "compiler/dsl/index.js"));
const { readBpfObject } = await import(join(dist, "compiler/elf/read-object.js"));
const { slotIndex } = await import(join(dist, "compiler/isa/encode.js"));
const { relocateCalls } = await import(join(dist, "compiler/link/relocate.js"));
const { XdpVm } = await import(join(dist, "loader/vm/xdp.js"));
const { loadXdp } = await import(join(dist, "loader/vm/testing.js"));

const REPEAT = Number(process.env.BENCH_REPEAT ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const VM_PACKETS = Number(process.env.BENCH_VM_PACKETS ?? 20_000);
const VM_WARMUP_MS = Number(process.env.BENCH_VM_WARMUP_MS ?? 300);
const TWINS = join(root, "fixtures/c-twins");

/** Our object for programs/<file>.ts, or the first diagnostic's message. */
function build(file) {
  const r = compileToObject(readFileSync(join(root, "programs", `${file}.ts`), "utf8"), `programs/${file}.ts`, {
    sectionStyle: "tsebpf",
  });
  return r.object ? { bytes: r.object } : { error: r.diagnostics.map((d) => d.message)[0] ?? "no object" };
}

const stems = (dir, ext) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => f.slice(0, -ext.length))
    .sort();

/** One row per program: `ours` and `clang` are { bytes, name } (or absent), `error` our build's failure. */
function rows() {
  const out = [];
  const twinFiles = new Set(stems(TWINS, ".o"));
  // slots with the subprograms (.text) the program calls, as test/program-sizes.test.ts counts them
  const side = (bytes, p) => {
    const linked = relocateCalls(p, readBpfObject(bytes).functions ?? []);
    return { bytes, name: p.name, slots: slotIndex(linked.insns).at(-1) };
  };
  for (const file of stems(join(root, "programs"), ".ts")) {
    const twin = twinFiles.delete(file) ? new Uint8Array(readFileSync(join(TWINS, `${file}.o`))) : undefined;
    const theirs = twin ? readBpfObject(twin).programs : [];
    const ours = build(file);
    if (ours.error) {
      out.push({ label: file, error: ours.error });
      continue;
    }
    for (const p of readBpfObject(ours.bytes).programs) {
      const c = theirs.find((t) => t.name === p.name);
      const label = `${file}/${p.name}${c ? "" : " (no C twin)"}`;
      out.push({ label, ours: side(ours.bytes, p), clang: c && side(twin, c) });
    }
    for (const c of theirs.filter((t) => !out.some((r) => r.clang?.name === t.name && r.label.startsWith(file))))
      out.push({ label: `${file}/${c.name}`, clang: side(twin, c) });
  }
  for (const file of twinFiles) {
    const twin = new Uint8Array(readFileSync(join(TWINS, `${file}.o`)));
    for (const c of readBpfObject(twin).programs)
      out.push({ label: `${file}/${c.name} (twin only)`, clang: side(twin, c) });
  }
  return out;
}

/** A UDP frame 198.51.100.1 → 198.51.100.2 (documentation range; never sent anywhere). */
function packet() {
  const b = new Uint8Array(46);
  b.set([0x08, 0x00], 12);
  b.set([0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17], 14);
  b.set([198, 51, 100, 1, 198, 51, 100, 2], 26);
  b.set([0x9c, 0x40, 0, 53, 0, 12], 34);
  return b;
}

/** The VM's ns per packet on an object: median of RUNS runs of VM_PACKETS packets, after warm-up runs
 *  for at least VM_WARMUP_MS (V8 optimizes a large program's generated function in the background,
 *  which takes tens of ms: tcpopts measured 19x or 85x the kernel depending on whether it had). */
function vmNs(bytes, name, pkt) {
  const vm = XdpVm.fromElf(bytes, { program: name });
  const once = () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < VM_PACKETS; i++) vm.run(pkt);
    return Number(process.hrtime.bigint() - t0) / VM_PACKETS;
  };
  for (const t0 = Date.now(); Date.now() - t0 < VM_WARMUP_MS; ) once();
  return median(Array.from({ length: RUNS }, once));
}

let loader;
if (process.getuid?.() === 0) {
  try {
    loader = {
      ...(await import(join(dist, "loader/object.js"))),
      ...(await import(join(dist, "loader/test-run.js"))),
      ...(await import(join(dist, "loader/sys/bpf.js"))),
    };
  } catch (e) {
    console.log(`loader unavailable (${e.message}); static counts only`);
  }
} else console.log("not root: static counts only (verified instructions and ns/packet need the kernel)");

/** Load each present side and measure: verified instructions and ns/packet (the sides alternating). */
function measure(r) {
  const sides = [r.ours, r.clang].filter(Boolean);
  const loaded = sides.map((s) => loader.loadObject(s.bytes, { only: [s.name] }));
  try {
    const fds = loaded.map((l, i) => l.program(sides[i].name).fd);
    sides.forEach((s, i) => {
      s.verified = loader.objInfo(fds[i], 232).readUInt32LE(216);
      s.ns = [];
    });
    const pkt = packet();
    for (let i = 0; i < RUNS; i++)
      fds.forEach((fd, j) => sides[j].ns.push(loader.testRun(fd, pkt, { repeat: REPEAT }).durationNs));
    for (const s of sides) s.ns = median(s.ns);
  } finally {
    loaded.forEach((l) => l.close());
  }
}

const fmt = (v, digits = 0) => (v === undefined ? "-" : typeof v === "number" ? v.toFixed(digits) : String(v));
const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b);
const geomean = (xs) => (xs.length ? Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length) : undefined);

const all = rows();
const widths = [30, 6, 6, 6, 9, 6, 6, 8, 8, 6, 8, 7];
const table = [
  ["program", "slots", "clang", "ratio", "verified", "clang", "ratio", "ns/pkt", "clang", "ratio", "VM ns", "VM/ns"],
];
const keys = ["slots", "verified", "ns"];
const ratios = { slots: [], verified: [], ns: [] };
const larger = [];
for (const r of all) {
  if (r.error) {
    table.push([r.label, `does not compile: ${r.error}`]);
    continue;
  }
  if (loader) measure(r);
  const vm = r.ours ? vmNs(r.ours.bytes, r.ours.name, packet()) : undefined;
  const cols = [r.label];
  for (const k of keys) {
    const q = ratio(r.ours?.[k], r.clang?.[k]);
    if (q !== undefined) ratios[k].push(q);
    if (q > 1 && k !== "ns") larger.push(`${r.label} ${k} ${r.ours[k]} > ${r.clang[k]}`);
    cols.push(fmt(r.ours?.[k], k === "ns" ? 1 : 0), fmt(r.clang?.[k], k === "ns" ? 1 : 0), fmt(q, 2));
  }
  table.push([...cols, fmt(vm), fmt(ratio(vm, r.ours?.ns), 0)]);
}
const means = keys.flatMap((k) => ["", "", fmt(geomean(ratios[k]), 3)]);
table.push(["geometric mean (ours / clang)", ...means]);
for (const r of table) console.log(row(r, widths));
console.log("targets: slots and verified ≤ clang on every row, slots geomean ≤ 0.9, ns/pkt geomean ≤ 1.0");
console.log(larger.length ? `larger than clang: ${larger.join("; ")}` : "no program larger than clang");
const unpaired = all
  .filter((r) => r.error || !r.ours || !r.clang)
  .map((r) => r.label + (r.error ? " (does not compile)" : ""));
console.log(
  unpaired.length
    ? `not in the means (no C twin in fixtures/c-twins, no DSL program, or no object): ${unpaired.join("; ")}`
    : `every program has its C twin (${all.length} rows in the means)`,
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
