// examples/firewall-daemon.ts end to end (built to dist/examples/): in namespace B it attaches the
// firewall to one end of a veth pair; namespace A sends UDP from three sources through the other
// end, and a receiver in B records what arrives. Adding a source to the blocklist file stops it
// arriving within 1 s while the others keep arriving, the daemon prints its drop count, removing
// it lets it through again, and SIGTERM detaches. Everything lives in the two namespaces.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { haveKernel, kernelSkipReason } from "./helpers/env.js";
import { requireFreshDist } from "./helpers/dist.js";
import { suiteDir } from "./helpers/tmp.js";
import { vethNsPair, type VethNsPair } from "./helpers/veth.js";

const DAEMON = new URL("../dist/examples/firewall-daemon.js", import.meta.url).pathname;
const SOURCES = ["198.51.100.1", "198.51.100.2", "198.51.100.3"];
const DST = "203.0.113.1";
const RECEIVER = `const s = require("node:dgram").createSocket("udp4");
s.on("message", (m, r) => process.stdout.write(Date.now() + " " + r.address + "\\n"));
s.bind(9999, () => process.stdout.write("ready\\n"));`;
const SENDER = `const d = require("node:dgram");
const socks = ${JSON.stringify(SOURCES)}.map((a) => { const s = d.createSocket("udp4"); s.bind(0, a); return s; });
setInterval(() => socks.forEach((s) => s.send("x", 9999, "${DST}")), 50);
setTimeout(() => process.exit(0), 20000);`;

describe.skipIf(!haveKernel)(`examples/firewall-daemon ${kernelSkipReason}`, () => {
  requireFreshDist();
  const file = suiteDir("tsebpf-daemon-");
  const children: ChildProcess[] = [];
  let v: VethNsPair;
  const ipn = (ns: string, ...args: string[]) => execFileSync("ip", ["-n", ns, ...args], { stdio: "pipe" });

  beforeAll(() => {
    v = vethNsPair(`fd${randomBytes(2).toString("hex")}`);
    ipn(v.nsA, "addr", "add", "203.0.113.2/24", "dev", v.a);
    for (const s of SOURCES) ipn(v.nsA, "addr", "add", `${s}/32`, "dev", v.a);
    ipn(v.nsB, "addr", "add", `${DST}/24`, "dev", v.b);
    for (const [ns, dev] of [
      [v.nsA, v.a],
      [v.nsB, v.b],
    ] as const)
      ipn(ns, "link", "set", dev, "up");
    ipn(v.nsB, "route", "add", "198.51.100.0/24", "dev", v.b);
  });
  afterAll(() => {
    for (const c of children) c.kill("SIGKILL");
    v?.remove();
  });

  /** Start `node args` in namespace `ns`; its stdout lines collect in `lines`. */
  function inNs(ns: string, args: string[]) {
    const c = spawn("ip", ["netns", "exec", ns, process.execPath, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(c);
    const out = { lines: [] as string[], err: "" };
    let buf = "";
    c.stdout!.on("data", (d) => {
      buf += d;
      const parts = buf.split("\n");
      buf = parts.pop()!;
      out.lines.push(...parts);
    });
    c.stderr!.on("data", (d) => (out.err += d));
    const waitFor = async (re: RegExp, ms = 15000) => {
      for (const t0 = Date.now(); !out.lines.some((l) => re.test(l)); await sleep(20))
        if (Date.now() - t0 > ms)
          throw new Error(`timed out waiting for ${re}; output: ${out.lines.join("\n")} ${out.err}`);
    };
    return { c, out, waitFor };
  }

  it("blocks a source added to the file within 1 s, keeps the others, counts drops, detaches on SIGTERM", async () => {
    const list = file("blocklist.txt");
    writeFileSync(list, "# blocked sources\n198.51.100.9\n198.51.100.0/24\n");
    const rx = inNs(v.nsB, ["-e", RECEIVER]);
    await rx.waitFor(/^ready$/);
    const daemon = inNs(v.nsB, [DAEMON, "--iface", v.b, "--blocklist", list, "--mode", "skb"]);
    await daemon.waitFor(/attached xdp_firewall to/);
    expect(daemon.out.lines.join("\n")).toContain(
      "line 3: '198.51.100.0/24': BLOCKLIST holds single addresses (a u32 hash map); CIDRs need an LPM trie",
    );
    inNs(v.nsA, ["-e", SENDER]);
    const arrivals = (src: string, from: number, to: number) =>
      rx.out.lines.filter((l) => {
        const [t, a] = l.split(" ");
        return a === src && Number(t) >= from && Number(t) < to;
      }).length;
    const since = Date.now();
    for (const t0 = Date.now(); !SOURCES.every((s) => arrivals(s, since, Date.now()) >= 5); await sleep(20))
      if (Date.now() - t0 > 15000) throw new Error(`not every source arrives: ${rx.out.lines.slice(-5).join(", ")}`);

    writeFileSync(list, "198.51.100.9\n198.51.100.2\n");
    const edited = Date.now();
    await sleep(2000);
    expect(arrivals("198.51.100.2", edited + 1000, edited + 2000)).toBe(0);
    expect(arrivals("198.51.100.1", edited + 1000, edited + 2000)).toBeGreaterThan(2);
    expect(arrivals("198.51.100.3", edited + 1000, edited + 2000)).toBeGreaterThan(2);
    await daemon.waitFor(/drops: 198\.51\.100\.2=\d+$/);

    writeFileSync(list, "198.51.100.9\n");
    const cleared = Date.now();
    await sleep(2000);
    expect(arrivals("198.51.100.2", cleared + 1000, cleared + 2000)).toBeGreaterThan(2);

    daemon.c.kill("SIGTERM");
    const code = await new Promise((r) => daemon.c.once("exit", r));
    expect([code, daemon.out.err]).toEqual([0, ""]);
    expect(daemon.out.lines.at(-1)).toMatch(/detached$/);
    expect(execFileSync("ip", ["-n", v.nsB, "link", "show", v.b], { encoding: "utf8" })).not.toMatch(/xdp/);
  }, 60_000);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
