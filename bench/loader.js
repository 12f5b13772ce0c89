#!/usr/bin/env node
// Loader benchmark (plain JS over dist/): (1) time from `tsebpf run` start to attached, beside
// `ip link set dev … xdp obj … sec …` on the same object, medians of N runs and the ratio;
// (2) log records per second through the ring buffer (BPF_PROG_TEST_RUN emits one record per run),
// checking that nothing is lost below the ring's capacity.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, row, timeProcess } from "./_util.js";

const dist = new URL("../dist/", import.meta.url).pathname;
const bin = new URL("../bin/tsebpf.js", import.meta.url).pathname;
const { Testbed } = await import(join(dist, "loader/testbed.js"));
const { builtinObject } = await import(join(dist, "loader/builtin.js"));
const { loadObject } = await import(join(dist, "loader/object.js"));
const { testRun } = await import(join(dist, "loader/test-run.js"));
const { RingReader, decodeRecord, formatLine } = await import(join(dist, "loader/logs.js"));

if (process.getuid?.() !== 0) {
  console.log("bench/loader.js: needs root (BPF + network namespaces); skipped");
  process.exit(0);
}

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const dir = mkdtempSync(join(tmpdir(), "tsebpf-bench-"));
const tb = Testbed.create();
try {
  const obj = join(dir, "firewall.o");
  writeFileSync(obj, builtinObject("firewall"));
  await attachTimes(obj);
  ringBench();
} finally {
  tb.destroy();
  rmSync(dir, { recursive: true, force: true });
}

async function attachTimes(obj) {
  const ours = [],
    ipTimes = [],
    nodeTimes = [];
  for (let i = 0; i < RUNS; i++) {
    nodeTimes.push(timeProcess("ip", ["netns", "exec", tb.rxNs, process.execPath, "-e", "0"]));
    ours.push(await tsebpfRun(obj));
    ipTimes.push(
      timeProcess("ip", [
        "-n",
        tb.rxNs,
        "link",
        "set",
        "dev",
        tb.rxIf,
        "xdpgeneric",
        "obj",
        obj,
        "sec",
        "xdp/xdp_firewall",
      ]),
    );
    timeProcess("ip", ["-n", tb.rxNs, "link", "set", "dev", tb.rxIf, "xdpgeneric", "off"]);
  }
  const a = median(ours),
    b = median(ipTimes);
  console.log(row(["attach (ms, median of " + RUNS + ")", "tsebpf run", "ip link set xdp", "ratio"], [34, 12, 16, 8]));
  console.log(row(["start → attached", a.toFixed(1), b.toFixed(1), (a / b).toFixed(2)], [34, 12, 16, 8]));
  const n = median(nodeTimes);
  console.log(row(["  node -e 0 in the namespace", n.toFixed(1)], [34, 12]));
  console.log(
    row(["  tsebpf beyond node start-up", (a - n).toFixed(1), b.toFixed(1), ((a - n) / b).toFixed(2)], [34, 12, 16, 8]),
  );
}

/** Wall time from spawning `tsebpf run` to its "Waiting for Ctrl-C..." line (printed once attached). */
function tsebpfRun(obj) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const c = spawn(
      "ip",
      ["netns", "exec", tb.rxNs, process.execPath, bin, "run", obj, "--iface", tb.rxIf, "--mode", "skb"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "",
      err = "",
      t;
    c.stdout.on("data", (d) => {
      out += d;
      if (t === undefined && out.includes("Waiting for Ctrl-C")) {
        t = Number(process.hrtime.bigint() - t0) / 1e6;
        c.kill("SIGINT");
      }
    });
    c.stderr.on("data", (d) => (err += d));
    c.on("exit", (code) =>
      t !== undefined && code === 0 ? resolve(t) : reject(new Error(`tsebpf run failed (${code}): ${err}`)),
    );
  });
}

function ringBench() {
  const o = loadObject(builtinObject("firewall"));
  const logs = o.map("TSEBPF_LOGS");
  const ring = new RingReader(logs.fd, logs.def.maxEntries);
  const pkt = new Uint8Array(42);
  pkt.set([0x08, 0x00], 12), (pkt[14] = 0x45), pkt.set([198, 51, 100, 2], 26);
  const perRecord = 8 + 8 + 2 * 8; // ring header + record with two arguments
  const batch = Math.floor((logs.def.maxEntries / perRecord) * 0.9); // below capacity
  let produced = 0,
    consumed = 0,
    lines = 0,
    readNs = 0n;
  const t0 = process.hrtime.bigint();
  for (let round = 0; round < 20; round++) {
    testRun(o.program().fd, pkt, { repeat: batch });
    produced += batch;
    const r0 = process.hrtime.bigint();
    consumed += ring.poll((rec) => {
      const r = decodeRecord(rec, o.model.logFormats);
      if (formatLine(r).length) lines++;
    });
    readNs += process.hrtime.bigint() - r0;
  }
  const totalS = Number(process.hrtime.bigint() - t0) / 1e9;
  ring.close();
  o.close();
  console.log(row(["ring buffer logs", "records", "lost", "decode+format/s", "end-to-end/s"], [34, 10, 6, 16, 12]));
  console.log(
    row(
      [
        `${batch}/batch × 20 (capacity ${Math.floor(logs.def.maxEntries / perRecord) - 1})`,
        produced,
        produced - consumed,
        Math.round(lines / (Number(readNs) / 1e9)),
        Math.round(consumed / totalS),
      ],
      [34, 10, 6, 16, 12],
    ),
  );
  if (produced !== consumed) process.exitCode = 1;
}
