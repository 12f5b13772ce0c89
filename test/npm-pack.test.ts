// Installed as a package: `npm pack` the repository (dist/ as built), unpack the tarball into an
// empty project's node_modules with its dependencies linked from ours (offline, deterministic),
// and there: tsc type-checks a user-space script and a DSL program against the shipped
// declarations, the compiled script runs with plain node (the VM without root; load() in the kernel
// when there is one), and `npx tsebpf build` / `npx tsebpf test` work, and (in the kernel) `npx
// tsebpf run` of an object attaches through the shipped run bundle and detaches on Ctrl-C.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { haveKernel } from "./helpers/env.js";
import { requireFreshDist } from "./helpers/dist.js";
import { suiteVeth } from "./helpers/veth.js";
import { watchRun } from "./helpers/cli.js";

const ROOT = resolve(".");
const DEPS = [
  ...Object.keys(JSON.parse(readFileSync("package.json", "utf8")).dependencies),
  "typescript",
  "@types/node",
];

const FW = readFileSync("programs/firewall.ts", "utf8"); // the user's DSL program: the book's firewall
const APP = `import { load, ip } from "tsebpf";
import { testXdp } from "tsebpf/testing";
import type * as Fw from "./fw.js";

const pkt = new Uint8Array(34);
pkt.set([0x08, 0x00], 12);
pkt.set([0x45, 0, 0, 20], 14);
pkt.set([198, 51, 100, 7], 26);
const show = (verdict: string, packet: Uint8Array, entries: Iterable<readonly [unknown, unknown]>) =>
  \`\${verdict} \${Buffer.from(packet).toString("hex")} \${JSON.stringify([...entries])}\`;
const vm = await testXdp("fw.ts", { packet: pkt, maps: { BLOCKLIST: [["198.51.100.7", 1]] } });
console.log("vm", show(vm.verdict, vm.packet, vm.maps.BLOCKLIST));
if (process.env.WITH_KERNEL) {
  using fw = await load<typeof Fw>("fw.ts");
  fw.maps.BLOCKLIST.set(ip("198.51.100.7"), 1);
  const r = fw.program("xdp_firewall").testRun(pkt);
  console.log("kernel", show(r.verdict, r.packet, fw.maps.BLOCKLIST));
}
`;
const BAD = `import { load } from "tsebpf";
import type * as Fw from "./fw.js";
using o = await load<typeof Fw>("fw.ts");
o.maps.BLOCKLIST.set("x", 1);
`;
const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    types: ["node"],
    lib: ["ES2022", "ESNext.Disposable"],
  },
  files: ["app.ts", "fw.ts", "bad.ts"],
};

describe("the package as npm installs it", () => {
  requireFreshDist();
  let dir = "";
  const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
    spawnSync(cmd, args, { cwd: dir, encoding: "utf8", timeout: 60_000, env: { ...process.env, ...env } });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tsebpf-pack-"));
    const out = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const modules = join(dir, "node_modules");
    mkdirSync(join(modules, "tsebpf"), { recursive: true });
    execFileSync("tar", ["xzf", join(dir, out.trim()), "-C", join(modules, "tsebpf"), "--strip-components=1"]);
    for (const d of DEPS) {
      mkdirSync(join(modules, d, ".."), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", d), join(modules, d));
    }
    mkdirSync(join(modules, ".bin"));
    symlinkSync("../tsebpf/bin/tsebpf", join(modules, ".bin", "tsebpf"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "user", type: "module", private: true }));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG));
    writeFileSync(join(dir, "fw.ts"), FW);
    writeFileSync(join(dir, "app.ts"), APP);
    writeFileSync(join(dir, "bad.ts"), BAD);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("ships dist, types and the bin, and no snapshot blob or tests", () => {
    const files = execFileSync("tar", ["tzf", join(dir, "tsebpf-0.1.0.tgz")], { encoding: "utf8" });
    for (const f of ["dist/loader/api/index.js", "dist/loader/api/index.d.ts", "types/index.d.ts", "bin/tsebpf"])
      expect(files).toContain(`package/${f}`);
    expect(files).not.toMatch(/tsebpf\.blob|package\/test\//);
  });

  it("tsc type-checks the user's script and DSL program (a wrong key is its one error); the script runs with plain node", () => {
    const tsc = run(process.execPath, [join(dir, "node_modules/typescript/bin/tsc"), "-p", "."]);
    expect([tsc.status, tsc.stdout.trim()]).toEqual([
      2,
      "bad.ts(4,22): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'.",
    ]);
    const app = run(process.execPath, ["app.js"], haveKernel ? { WITH_KERNEL: "1" } : {});
    expect([app.stderr, app.status]).toEqual(["", 0]);
    // verdict, output packet and map entries, the same in the VM and the kernel (issue 11 §4)
    const same = `XDP_DROP ${"00".repeat(12)}0800450000140000000000000000c633640700000000 [[3325256711,1]]`;
    expect(app.stdout).toBe(`vm ${same}\n${haveKernel ? `kernel ${same}\n` : ""}`);
  }, 90_000);

  it("npx tsebpf build and test work", () => {
    const build = run("npx", ["--no-install", "tsebpf", "build", "fw.ts", "-o", "fw.o"]);
    expect([build.status, build.stderr]).toEqual([0, ""]);
    const pkt = "ffffffffffff0000000000000800450000140000000000000000c63364070a000001";
    const test = run("npx", [
      "--no-install",
      "tsebpf",
      "test",
      "fw.o",
      "--vm",
      "--map",
      "BLOCKLIST",
      "198.51.100.7=1",
      "--packet",
      pkt,
    ]);
    expect([test.status, test.stderr]).toEqual([0, ""]);
    expect(test.stdout).toMatch(/XDP_DROP/);
  }, 60_000);

  describe.skipIf(!haveKernel)("npx tsebpf run, in the kernel", () => {
    const v = suiteVeth(`np${randomBytes(3).toString("hex")}`);

    it("attaches an object through the shipped run bundle and detaches on Ctrl-C", async () => {
      expect(run("npx", ["--no-install", "tsebpf", "build", "fw.ts", "-o", "run.o"]).status).toBe(0);
      // its own process group, as a shell's job: Ctrl-C reaches npx and tsebpf alike
      const c = spawn("npx", ["--no-install", "tsebpf", "run", "run.o", "--iface", v.host, "--mode", "skb"], {
        cwd: dir,
        detached: true,
      });
      const group = (sig: NodeJS.Signals) => {
        try {
          process.kill(-c.pid!, sig);
        } catch {
          // already gone
        }
      };
      const child = watchRun(c);
      const ended = new Promise<string>((done) => c.on("exit", (code, signal) => done(String(code ?? signal))));
      let link = "",
        procs = "";
      try {
        await child.attached;
        link = spawnSync("ip", ["link", "show", "dev", v.host], { encoding: "utf8" }).stdout;
        procs = spawnSync("pgrep", ["-a", "-g", String(c.pid)], { encoding: "utf8" }).stdout;
        group("SIGINT");
        const t = setTimeout(() => group("SIGKILL"), 10_000);
        expect(["0", "SIGINT"]).toContain(await ended); // npm exec ends by the signal itself
        clearTimeout(t);
      } finally {
        group("SIGKILL");
      }
      // tsebpf stopped on the signal (it prints Exiting... after detaching); it ran as the bundle
      expect([/xdpgeneric/.test(link), child.out().includes("Exiting..."), procs]).toEqual([
        true,
        true,
        // bin/tsebpf-run.cjs, reached through npm's link (node_modules/.bin/../tsebpf) or resolved
        expect.stringMatching(/node_modules\/(\.bin\/\.\.\/)?tsebpf\/bin\/(\.\.\/bin\/)?tsebpf-run\.cjs run run\.o/),
      ]);
      expect(spawnSync("ip", ["link", "show", "dev", v.host], { encoding: "utf8" }).stdout).not.toMatch(/xdp/);
    }, 60_000);
  });
});
