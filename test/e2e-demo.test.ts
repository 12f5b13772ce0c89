// `npm start` (dist/cli/demo.js): the firewall demo drops exactly the blocked source, prints the
// per-source table, and leaves no namespace behind — also when interrupted with SIGINT.
import { describe, expect, it } from "vitest";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { haveKernel } from "./helpers/env.js";
import { requireFreshDist } from "./helpers/dist.js";

if (haveKernel) requireFreshDist();
const DEMO = new URL("../dist/cli/demo.js", import.meta.url).pathname;
const leftovers = (pid: number) =>
  execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.startsWith(`tsebpf-demo-${pid}-`));

describe.skipIf(!haveKernel)("npm start (demo)", () => {
  it("prints the table and cleans up", () => {
    const r = spawnSync(process.execPath, [DEMO], { encoding: "utf8", timeout: 30000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/INFO  xdp_firewall\] Waiting for Ctrl-C\.\.\./);
    expect(r.stdout).toMatch(/\n198\.51\.100\.2 +20 +20 +0\n198\.51\.100\.3 +20 +0 +20  \(blocked\)\n/);
    expect(r.stdout).toMatch(/the firewall dropped exactly the blocked source/);
    expect(leftovers(r.pid!)).toEqual([]);
  });

  it("removes everything when interrupted", async () => {
    const c = spawn(process.execPath, [DEMO], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    for (let i = 0; i < 200 && !/Waiting for Ctrl-C/.test(out); i++) await new Promise((r) => setTimeout(r, 25));
    c.kill("SIGINT");
    const code = await new Promise((r) => c.on("exit", r));
    expect(code).toBe(130);
    expect(out).toMatch(/interrupted: removing the namespaces/);
    expect(leftovers(c.pid!)).toEqual([]);
  });
});
