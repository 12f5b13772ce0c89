// The start-up snapshot (scripts/build-snapshot.js → node --snapshot-blob) against the plain ESM
// CLI (node bin/tsebpf.js): byte-identical objects, identical diagnostics, output and exit codes;
// and the npm bin (bin/tsebpf) falls back to the plain CLI when the snapshot cannot be used, quietly
// when the blob has no .node stamp yet (`npm run build` half-way); `run x.o` through the bin takes
// the run bundle (bin/tsebpf-run.cjs: one script from V8's code cache, koffi loaded on the first
// system call), the same options errors as the plain CLI and, in the kernel, attaches and detaches
// on a veth; a run bundle older than the build is not used.
// Runs the built CLI: `npm run build` first.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { Script } from "node:vm";
import { join } from "node:path";
import { requireFreshDist } from "./helpers/dist.js";
import { withTempDir } from "./helpers/tmp.js";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { haveKernel } from "./helpers/env.js";
import { suiteVeth } from "./helpers/veth.js";
import { watchRun } from "./helpers/cli.js";

const ROOT = new URL("../", import.meta.url).pathname;
const PLAIN = join(ROOT, "bin/tsebpf.js");
requireFreshDist();

type Out = { code: number | null; out: string; err: string };
let dir: string;
let blob: string;

function exec(cmd: string, args: string[], env: Record<string, string> = {}): Out {
  const r = spawnSync(cmd, args, { cwd: dir, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
/** The V8 flags the blob was built with, from the second line of its stamp. */
const flags = () => readFileSync(`${blob}.node`, "utf8").split("\n")[1].split(" ").filter(Boolean);
const snapshot = (...argv: string[]) => exec(process.execPath, [...flags(), "--snapshot-blob", blob, "--", ...argv]);
const plain = (...argv: string[]) => exec(process.execPath, [PLAIN, ...argv]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsebpf-startup-"));
  blob = join(dir, "tsebpf.blob");
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/build-snapshot.js"), "--out", blob], { encoding: "utf8" });
  if (!existsSync(blob)) throw new Error(`no snapshot was built: ${r.stderr}`);
  writeFileSync(
    join(dir, "bad.ts"),
    'import { xdp } from "tsebpf";\nexport const p = xdp("p", (ctx) => {\n  let x: number = ;\n  return undefinedThing + 1;\n});\n',
  );
  writeFileSync(join(dir, "bad.s"), "r0 = 1\nfrobnicate r1\nexit\n");
  writeFileSync(join(dir, "junk.o"), "\x7fELF not an object");
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("snapshot CLI = plain CLI", () => {
  const sources = readdirSync(join(ROOT, "programs")).filter((f) => /\.(ts|s)$/.test(f) && !f.endsWith(".d.ts"));

  it.each(sources)("build programs/%s: byte-identical object, same output", (f) => {
    const src = join(ROOT, "programs", f);
    const a = snapshot("build", src, "-o", "snap.o");
    const b = plain("build", src, "-o", "plain.o");
    expect(a).toEqual(b);
    expect(a.code).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, "snap.o")), readFileSync(join(dir, "plain.o")))).toBe(0);
    expect(snapshot("objdump", "snap.o")).toEqual(plain("objdump", "snap.o"));
  });

  it.each([
    ["a bad DSL program", ["build", "bad.ts", "-o", "x.o"]],
    ["a bad DSL program, libbpf sections", ["build", "--section-style", "libbpf", "bad.ts"]],
    ["bad assembly", ["build", "bad.s", "-o", "x.o"]],
    ["a missing file", ["build", "nope.ts"]],
    ["an unknown source kind", ["build", "bad.c"]],
    ["a bad option value", ["build", "bad.ts", "--section-style", "elf"]],
    ["a corrupt object", ["objdump", "junk.o"]],
    ["an unknown command", ["frob"]],
    ["--version", ["--version"]],
    ["--help", ["--help"]],
    ["build --help", ["build", "--help"]],
    ["no arguments", []],
  ])("%s: same diagnostics, output and exit code", (_, argv) => {
    const a = snapshot(...argv);
    expect(a).toEqual(plain(...argv));
    if (argv[1] === "bad.ts") expect(a.code).toBe(1);
    expect(a.err).not.toMatch(/\n\s+at /); // never a stack trace
  });

  // A terminal (script(1) gives the command a pty): colour unless NO_COLOR, on both paths.
  const haveScript = spawnSync("sh", ["-c", "command -v script"]).status === 0;
  it.skipIf(!haveScript)("on a terminal: the same coloured diagnostics, and none with NO_COLOR", () => {
    const tty = (cmd: string, env: Record<string, string> = {}) =>
      exec("script", ["-qec", cmd, "/dev/null"], { TERM: "xterm", ...env });
    const snap = `'${process.execPath}' ${flags().join(" ")} --snapshot-blob '${blob}' -- build bad.ts -o x.o`;
    const pl = `'${process.execPath}' '${PLAIN}' build bad.ts -o x.o`;
    const a = tty(snap);
    expect(a.out).toContain("\x1b[1;31merror TS1109:");
    expect(a).toEqual(tty(pl));
    const b = tty(snap, { NO_COLOR: "1" });
    expect(b.out).not.toContain("\x1b[");
    expect(b).toEqual(tty(pl, { NO_COLOR: "1" }));
  });

  it("bad program: diagnostics with file:line:col and a caret", () => {
    const a = snapshot("build", "bad.ts", "-o", "x.o");
    expect(a.err).toMatch(/^bad\.ts:3:\d+: error /m);
    expect(a.err).toContain("^");
    expect(existsSync(join(dir, "x.o"))).toBe(false);
  });
});

describe("bin/tsebpf (the npm bin)", () => {
  // A copy of the package layout in which dist/ holds the test's blob.
  let pkg: string;
  beforeAll(() => {
    pkg = join(dir, "pkg");
    mkdirSync(join(pkg, "bin"), { recursive: true });
    copyFileSync(join(ROOT, "bin/tsebpf"), join(pkg, "bin/tsebpf"));
    spawnSync("chmod", ["+x", join(pkg, "bin/tsebpf")]);
    symlinkSync(join(ROOT, "bin/tsebpf.js"), join(pkg, "bin/tsebpf.js"));
    mkdirSync(join(pkg, "dist"));
    symlinkSync(join(ROOT, "dist/cli"), join(pkg, "dist/cli"));
    symlinkSync(join(ROOT, "dist/compiler"), join(pkg, "dist/compiler"));
    symlinkSync(join(ROOT, "dist/loader"), join(pkg, "dist/loader"));
    copyFileSync(blob, join(pkg, "dist/tsebpf.blob"));
    copyFileSync(`${blob}.node`, join(pkg, "dist/tsebpf.blob.node"));
    copyFileSync(join(ROOT, "bin/tsebpf-run.cjs"), join(pkg, "bin/tsebpf-run.cjs"));
    for (const f of [
      "tsebpf-run.bundle.cjs",
      "tsebpf-run.bundle.cjs.cache",
      "tsebpf-run.cold.cjs",
      "tsebpf-run.cold.cjs.cache",
    ])
      copyFileSync(join(dir, f), join(pkg, "dist", f));
    symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules")); // koffi, found from the package root
    mkdirSync(join(dir, ".bin"));
    symlinkSync(join(pkg, "bin/tsebpf"), join(dir, ".bin/tsebpf")); // as npm links it
  });

  const PATH = `${join(process.execPath, "..")}:${process.env.PATH}`;
  const viaBin = (env: Record<string, string>, ...argv: string[]) =>
    exec(join(dir, ".bin/tsebpf"), argv, { PATH, ...env });
  /** Which path ran: the snapshot CLI and the run bundle have no ESM loader, so the plain one shows up in NODE_DEBUG=esm. */
  const ranSnapshot = (o: Out) => !/ESM/.test(o.err);

  it("uses the snapshot when it fits, with the same output", () => {
    const a = viaBin({ NODE_DEBUG: "esm" }, "build", join(ROOT, "programs/firewall.ts"), "-o", "bin.o");
    expect(a.code).toBe(0);
    expect(ranSnapshot(a)).toBe(true);
    plain("build", join(ROOT, "programs/firewall.ts"), "-o", "plain.o");
    expect(Buffer.compare(readFileSync(join(dir, "bin.o")), readFileSync(join(dir, "plain.o")))).toBe(0);
    expect(viaBin({}, "build", "bad.ts")).toEqual(plain("build", "bad.ts"));
    expect(viaBin({}, "--version")).toEqual(plain("--version"));
  });

  it("npm's link (node_modules/.bin/tsebpf → ../tsebpf/bin/tsebpf) is followed without readlink", () => {
    const nm = join(dir, "npm-layout", "node_modules");
    mkdirSync(join(nm, ".bin"), { recursive: true });
    symlinkSync(pkg, join(nm, "tsebpf"));
    symlinkSync("../tsebpf/bin/tsebpf", join(nm, ".bin/tsebpf"));
    const stub = join(dir, "no-readlink");
    mkdirSync(stub);
    writeFileSync(join(stub, "readlink"), "#!/bin/sh\nexit 1\n", { mode: 0o755 }); // a fork of readlink would fail
    const argv = ["run", "x.o", "--mode", "frob"];
    const a = exec(join(nm, ".bin/tsebpf"), argv, { PATH: `${stub}:${PATH}`, NODE_DEBUG: "esm" });
    expect([ranSnapshot(a), a.code]).toEqual([true, 1]); // the run bundle, found from the link
    expect({ ...a, err: a.err.replace(/^ESM.*\n/gm, "") }).toEqual(plain(...argv));
    // any other link still goes through readlink
    expect(exec(join(dir, ".bin/tsebpf"), ["--version"], { PATH: `${stub}:${PATH}` }).code).not.toBe(0);
  });

  it("the run bundle's code caches fit this node (V8 accepts them)", () => {
    for (const f of ["tsebpf-run.bundle.cjs", "tsebpf-run.cold.cjs"]) {
      const file = join(pkg, "dist", f);
      const cachedData = readFileSync(`${file}.cache`);
      expect(new Script(readFileSync(file, "latin1"), { filename: file, cachedData }).cachedDataRejected).toBe(false);
    }
  });

  it("run of an object file takes the run bundle; of a source, or with --map, the plain CLI", () => {
    for (const argv of [
      ["run", "x.o", "--mode", "frob"],
      ["run", "-i", "lo", "x.o", "--mode", "frob"],
      ["run", "x.o", "--log-level", "loud"],
    ]) {
      const a = viaBin({ NODE_DEBUG: "esm" }, ...argv);
      expect([ranSnapshot(a), a.code]).toEqual([true, 1]);
      expect(viaBin({}, ...argv)).toEqual(plain(...argv));
    }
    // what cli/run-args.ts leaves to commander: the bundle imports the full CLI, same output
    for (const argv of [
      ["run", "x.o", "--bogus"],
      ["run", "x.o", "--help"],
      ["run", "x.o", "-ilo", "--mode", "frob"],
      ["run", "x.o", "--iface"],
    ])
      expect(viaBin({}, ...argv)).toEqual(plain(...argv));
    for (const argv of [
      ["run", "x.ts", "--mode", "frob"],
      ["run", "--mode", "frob"],
      ["run", "--map", "A", "1=2", "x.o", "--mode", "frob"],
    ])
      expect(ranSnapshot(viaBin({ NODE_DEBUG: "esm" }, ...argv))).toBe(false);
    const bundle = join(pkg, "dist/tsebpf-run.bundle.cjs");
    const { mtime } = statSync(bundle);
    utimesSync(bundle, new Date(0), new Date(0)); // older than dist/cli/main.js: a stale bundle
    const stale = viaBin({ NODE_DEBUG: "esm" }, "run", "x.o", "--mode", "frob");
    utimesSync(bundle, mtime, mtime);
    expect([ranSnapshot(stale), stale.code]).toEqual([false, 1]);
    const cold = join(pkg, "dist/tsebpf-run.cold.cjs");
    renameSync(cold, `${cold}.away`); // half a bundle: the plain CLI, never an error after attaching
    const half = viaBin({ NODE_DEBUG: "esm" }, "run", "x.o", "--mode", "frob");
    renameSync(`${cold}.away`, cold);
    expect([ranSnapshot(half), half.code]).toEqual([false, 1]);
  });

  describe.skipIf(!haveKernel)("run x.o through the run bundle, in the kernel", () => {
    const v = suiteVeth(`rb${randomBytes(3).toString("hex")}`);

    it("attaches, prints the logs' greeting, detaches on SIGINT with exit 0", async () => {
      const obj = join(dir, "fw-run.o");
      expect(plain("build", join(ROOT, "programs/firewall.ts"), "-o", obj).code).toBe(0);
      const c = spawn(join(dir, ".bin/tsebpf"), ["run", obj, "--iface", v.host, "--mode", "skb"], {
        env: { ...process.env, PATH, NODE_OPTIONS: "", NODE_DEBUG: "esm" },
      });
      const run = watchRun(c);
      const code = new Promise<number | null>((done) => c.on("exit", done));
      await run.attached;
      const link = spawnSync("ip", ["link", "show", "dev", v.host], { encoding: "utf8" }).stdout;
      c.kill("SIGINT");
      const ran = ranSnapshot({ code: 0, out: run.out(), err: run.err() });
      expect([await code, /xdpgeneric/.test(link), ran]).toEqual([0, true, true]);
      expect(run.out()).toContain("Exiting...");
      expect(spawnSync("ip", ["link", "show", "dev", v.host], { encoding: "utf8" }).stdout).not.toMatch(/xdp/);
    }, 30_000);
  });

  it("falls back to the plain CLI under NODE_OPTIONS, for a blob of another node, and without a blob", () => {
    const args = ["build", join(ROOT, "programs/hello.ts"), "-o", "fb.o"];
    const opts = viaBin({ NODE_DEBUG: "esm", NODE_OPTIONS: "--no-deprecation" }, ...args);
    expect(opts.code).toBe(0);
    expect(ranSnapshot(opts)).toBe(false);
    writeFileSync(join(pkg, "dist/tsebpf.blob.node"), "/bin/sh\n");
    const other = viaBin({ NODE_DEBUG: "esm" }, ...args);
    expect(other.code).toBe(0);
    expect(ranSnapshot(other)).toBe(false);
    rmSync(join(pkg, "dist/tsebpf.blob"));
    const none = viaBin({ NODE_DEBUG: "esm" }, ...args);
    expect(none.code).toBe(0);
    expect(ranSnapshot(none)).toBe(false);
    expect(viaBin({}, "build", "bad.ts")).toEqual(plain("build", "bad.ts"));
  });
});

describe("bin/tsebpf with a half-written snapshot", () => {
  it("no 'cannot open …blob.node' on stderr when the blob exists without its .node file", () => {
    withTempDir("tsebpf-blob-node-", (dir) => {
      mkdirSync(join(dir, "bin"));
      mkdirSync(join(dir, "dist"));
      copyFileSync(new URL("../bin/tsebpf", import.meta.url), join(dir, "bin", "tsebpf"));
      writeFileSync(join(dir, "bin", "tsebpf.js"), 'console.log("plain " + process.argv.slice(2).join(" "));\n');
      writeFileSync(join(dir, "dist", "tsebpf.blob"), "");
      const r = spawnSync("sh", [join(dir, "bin", "tsebpf"), "build", "x.s"], {
        encoding: "utf8",
        env: { ...process.env, NODE_OPTIONS: "" },
      });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("plain build x.s\n");
      expect(r.status).toBe(0);
    });
  });
});
