// `tsebpf run --stats` in the kernel: the hello program with extra maps is run in process on a
// veth end (no traffic), the test writes entries through the maps' pins while it runs, and the
// lines printed on stop are checked: non-zero entries of array and per-CPU maps, per-CPU values
// summed, structs by field name, hash maps and the loader's own maps left out.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { haveKernel } from "./helpers/env.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { suiteVeth } from "./helpers/veth.js";
import { withTempDir } from "./helpers/tmp.js";
import { captureIo } from "./helpers/cli.js";
import { writeFileSync } from "node:fs";
import { runProgram } from "../cli/commands/run-program.js";
import { BUILTIN } from "../loader/builtin.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { MAP_TYPE, type MapDef, type TypeDesc } from "../compiler/object.js";
import { openPinnedMap } from "../loader/api/pinned.js";
import { possibleCpus, u32le, u64le } from "../loader/map.js";
import { closeFd } from "../loader/sys/libc.js";

const tag = Math.random().toString(36).slice(2, 7);
const u32: TypeDesc = { kind: "int", name: "u32", size: 4, signed: false };
const u64: TypeDesc = { kind: "int", name: "u64", size: 8, signed: false };
const pair: TypeDesc = {
  kind: "struct",
  name: "pair",
  size: 16,
  members: [
    { name: "packets", type: u64, offset: 0 },
    { name: "bytes", type: u64, offset: 8 },
  ],
};

function def(name: string, type: number, value: TypeDesc, valueSize: number): MapDef {
  return { name, type, keySize: 4, valueSize, maxEntries: 4, flags: 0, key: u32, value };
}

function object(): Uint8Array {
  const h = BUILTIN.hello();
  const maps = [
    def("COUNTERS", MAP_TYPE.PERCPU_ARRAY, u64, 8),
    def("STATS", MAP_TYPE.ARRAY, pair, 16),
    def("FLOWS", MAP_TYPE.PERCPU_HASH, pair, 16),
    def("SEEN", MAP_TYPE.HASH, u32, 4),
    def("TSEBPF_EXTRA", MAP_TYPE.ARRAY, u32, 4),
  ];
  return writeBpfObject({ ...h, maps: [...h.maps, ...maps] });
}

/** One value per possible CPU (8-byte slots), CPU i holding f(i). */
const perCpu = (f: (cpu: number) => Buffer) =>
  Buffer.concat(
    Array.from({ length: possibleCpus() }, (_, i) => Buffer.concat([f(i), Buffer.alloc(16)]).subarray(0, 16)),
  );
const perCpu8 = (f: (cpu: number) => bigint) =>
  Buffer.concat(Array.from({ length: possibleCpus() }, (_, i) => u64le(f(i))));

describe.skipIf(!haveKernel)("tsebpf run --stats", () => {
  const bpffs = suiteBpffs();
  const { host } = suiteVeth(`s${tag}`);

  it("prints the non-zero entries of array and per-CPU maps on stop, per-CPU values summed", async () => {
    await withTempDir("tsebpf-stats-", async (dir) => {
      writeFileSync(join(dir, "stats.o"), object());
      const pin = join(bpffs(), "st");
      const { io, o } = captureIo();
      let attached = false;
      io.stderr = (s) => void (s.startsWith("note: attached") && (attached = true));
      let stop!: () => void;
      const done = runProgram(
        join(dir, "stats.o"),
        { iface: host, mode: "skb", netlink: true, verbose: true, stats: true, pin },
        io,
        new Promise<void>((r) => (stop = r)),
      );
      for (const t0 = Date.now(); !attached && Date.now() - t0 < 10_000; ) await new Promise((r) => setTimeout(r, 10));
      expect(attached).toBe(true);
      const write = (name: string, key: number, value: Buffer) => {
        const { map } = openPinnedMap(join(pin, name));
        try {
          map.set(u32le(key), value);
        } finally {
          closeFd(map.fd);
        }
      };
      const n = possibleCpus();
      write(
        "COUNTERS",
        1,
        perCpu8((i) => 10n + BigInt(i)),
      );
      write(
        "COUNTERS",
        3,
        perCpu8(() => 1n << 60n),
      );
      write("STATS", 2, Buffer.concat([u64le(3), u64le(300)]));
      write(
        "FLOWS",
        7,
        perCpu((i) => Buffer.concat([u64le(i + 1), u64le(100)])),
      );
      write("SEEN", 5, u32le(9));
      write("TSEBPF_EXTRA", 0, u32le(9));
      stop();
      expect(await done).toBe(0);
      const sum = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i)).reduce((a, b) => a + b);
      const big = (1n << 60n) * BigInt(n);
      const lines = o.out.split("\n").filter((l) => l.includes(" = "));
      expect(lines).toEqual([
        `COUNTERS[1] = ${sum((i) => 10 + i)}`,
        `COUNTERS[3] = ${n === 1 ? big : `"${big}"`}`,
        `STATS[2] = {"packets":3,"bytes":300}`,
        `FLOWS[7] = {"packets":${sum((i) => i + 1)},"bytes":${100 * n}}`,
      ]);
    });
  });

  it("--map fills maps before attaching: struct values as JSON, per-CPU values on every CPU", async () => {
    await withTempDir("tsebpf-stats-", async (dir) => {
      writeFileSync(join(dir, "stats.o"), object());
      const { io, o } = captureIo();
      const map = ["STATS", '2={"packets":3,"bytes":"300"}', "COUNTERS", "1=5"];
      const code = await runProgram(
        join(dir, "stats.o"),
        { iface: host, mode: "skb", netlink: true, stats: true, map },
        io,
        Promise.resolve(),
      );
      expect([code, o.out.split("\n").filter((l) => l.includes(" = "))]).toEqual([
        0,
        [`COUNTERS[1] = ${5 * possibleCpus()}`, `STATS[2] = {"packets":3,"bytes":300}`],
      ]);
      const bad = captureIo();
      const run = runProgram(join(dir, "stats.o"), { iface: host, mode: "skb", map: ["STATS", "2={}"] }, bad.io);
      await expect(run).rejects.toThrow("--map STATS: value.packets: missing (struct pair {packets, bytes})");
    });
  });
});
