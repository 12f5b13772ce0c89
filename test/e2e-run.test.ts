// End to end: `tsebpf run` (the built CLI, bin/tsebpf.js over dist/) in throwaway namespaces.
// hello logs one line per packet; the firewall drops exactly the blocked source at a real UDP
// receiver; SIGINT, SIGTERM and kill -9 leave nothing attached.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { haveKernel } from "./helpers/env.js";
import { requireFreshDist } from "./helpers/dist.js";
import { BIN } from "./helpers/cli.js";
import { Testbed, TX_ADDRS, collect, exited, waitFor } from "../loader/testbed.js";
import { builtinObject } from "../loader/builtin.js";

// These tests run the built CLI (bin/tsebpf.js → dist/): `npm run build` first.
if (haveKernel) requireFreshDist();
const N = 20;

describe.skipIf(!haveKernel)("tsebpf run (end to end)", () => {
  let tb: Testbed;
  let dir: string;
  beforeAll(() => {
    tb = Testbed.create();
    dir = mkdtempSync(join(tmpdir(), "tsebpf-e2e-"));
    writeFileSync(join(dir, "hello.o"), builtinObject("hello"));
    writeFileSync(join(dir, "firewall.o"), builtinObject("firewall"));
  });
  afterAll(() => {
    tb?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (args: string[]) => {
    const c = tb.spawnIn(tb.rxNs, process.execPath, [BIN, "run", ...args, "--iface", tb.rxIf]);
    const out = collect(c);
    await waitFor(out, /Waiting for Ctrl-C\.\.\./, 20000);
    return { c, out };
  };

  it("hello: one log line per received packet, Exiting... on SIGINT, nothing left attached", async () => {
    const { c, out } = await start([join(dir, "hello.o")]);
    expect(tb.attachedProgId()).toBeGreaterThan(0);
    const r = await tb.udpExchange([TX_ADDRS[0]], N);
    expect(r[TX_ADDRS[0]].received).toBe(N);
    await new Promise((res) => setTimeout(res, 100)); // one log poll interval
    c.kill("SIGINT");
    expect(await exited(c, 5000)).toBe(0);
    const lines = out.text.trim().split("\n");
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO  xdp_hello\] Waiting for Ctrl-C\.\.\.$/);
    expect(lines.filter((l) => / INFO  xdp_hello\] received a packet$/.test(l))).toHaveLength(N);
    expect(lines.at(-1)).toMatch(/INFO  xdp_hello\] Exiting\.\.\.$/);
    expect(tb.attachedProgId()).toBe(0);
  });

  it("firewall: drops exactly the blocked source, passes the other, logs each decision", async () => {
    const { c, out } = await start([join(dir, "firewall.o"), "--block", TX_ADDRS[1]]);
    const r = await tb.udpExchange(TX_ADDRS, N);
    expect(r[TX_ADDRS[0]].received).toBe(N);
    expect(r[TX_ADDRS[1]].received).toBe(0);
    await new Promise((res) => setTimeout(res, 100));
    c.kill("SIGTERM");
    expect(await exited(c, 5000)).toBe(0);
    expect(out.text.match(/SRC: 198\.51\.100\.3, ACTION: 1/g)).toHaveLength(N);
    expect(out.text.match(/SRC: 198\.51\.100\.2, ACTION: 2/g)).toHaveLength(N);
    expect(tb.attachedProgId()).toBe(0);
  });

  it("the DSL programs: default hello (no program argument) and programs/firewall.ts built in memory", async () => {
    const hello = await start([]);
    await tb.udpExchange([TX_ADDRS[0]], 5);
    await new Promise((res) => setTimeout(res, 100));
    hello.c.kill("SIGINT");
    expect(await exited(hello.c, 5000)).toBe(0);
    expect(hello.out.text.match(/INFO  xdp_hello\] received a packet/g)).toHaveLength(5);

    const fw = await start([new URL("../programs/firewall.ts", import.meta.url).pathname, "--block", TX_ADDRS[1]]);
    const r = await tb.udpExchange(TX_ADDRS, 10);
    expect([r[TX_ADDRS[0]].received, r[TX_ADDRS[1]].received]).toEqual([10, 0]);
    await new Promise((res) => setTimeout(res, 100));
    fw.c.kill("SIGINT");
    expect(await exited(fw.c, 5000)).toBe(0);
    expect(fw.out.text.match(/xdp_firewall\] SRC: 198\.51\.100\.3, ACTION: 1/g)).toHaveLength(10);
    expect(tb.attachedProgId()).toBe(0);
  });

  it("a clang-built object (fixtures/c) loads, attaches, passes traffic and detaches", async () => {
    const { c, out } = await start([new URL("../fixtures/c/hello.clang19-g.o", import.meta.url).pathname, "-v"]);
    expect(out.err).toMatch(/note: attached xdp_hello to .* with a bpf_link/);
    expect(tb.attachedProgId()).toBeGreaterThan(0);
    const r = await tb.udpExchange([TX_ADDRS[0]], 5);
    expect(r[TX_ADDRS[0]].received).toBe(5);
    c.kill("SIGINT");
    expect(await exited(c, 5000)).toBe(0);
    expect(tb.attachedProgId()).toBe(0);
  });

  it("kill -9 leaves nothing attached (bpf_link)", async () => {
    const { c } = await start([join(dir, "hello.o")]);
    expect(tb.attachedProgId()).toBeGreaterThan(0);
    c.kill("SIGKILL");
    await exited(c, 5000);
    for (let i = 0; i < 250 && tb.attachedProgId(); i++) await new Promise((res) => setTimeout(res, 20));
    expect(tb.attachedProgId()).toBe(0);
  });

  it("netlink attach: detached on SIGINT; a second run is refused without --force", async () => {
    const first = await start([join(dir, "hello.o"), "--netlink", "--mode", "skb"]);
    const id = tb.attachedProgId();
    expect(id).toBeGreaterThan(0);
    const second = tb.spawnIn(tb.rxNs, process.execPath, [BIN, "run", join(dir, "hello.o"), "--iface", tb.rxIf]);
    const out2 = collect(second);
    expect(await exited(second, 10000)).toBe(1);
    expect(out2.err.trim()).toMatch(
      /^tsebpf: error: attaching XDP to .*: device or resource busy \(EBUSY\): program id \d+ is already attached\n\s+hint: .*--force/,
    );
    expect(tb.attachedProgId()).toBe(id);
    first.c.kill("SIGINT");
    expect(await exited(first.c, 5000)).toBe(0);
    expect(tb.attachedProgId()).toBe(0);
  });
});
