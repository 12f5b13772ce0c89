// `tsebpf run` leaves nothing behind (issue 7 §4): stop signals are handled from before the
// attach, a closed stdout is a quiet stop, a program replaced by someone else is left alone with
// a one-line note, `--pin` checks the file system first, refuses names that leave the directory
// and removes what a failed pin created, and an ignored SIGHUP (nohup) stays ignored.
// Children run the built CLI (dist/); in-process runs use runProgram with a stop promise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { haveKernel } from "./helpers/env.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { suiteVeth } from "./helpers/veth.js";
import { withTempDir } from "./helpers/tmp.js";
import { BIN, captureIo } from "./helpers/cli.js";
import { runProgram } from "../cli/commands/run-program.js";
import { BUILTIN, builtinObject } from "../loader/builtin.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import type { MapDef } from "../compiler/object.js";
import { loadObject } from "../loader/object.js";
import { attachXdp, resolveIface, xdpState } from "../loader/attach.js";

const tag = Math.random().toString(36).slice(2, 7);
const root = new URL("..", import.meta.url).pathname;

const capture = captureIo;

/** The hello object with extra (unused) array maps, e.g. one with a hostile name. */
function helloWithMaps(...names: string[]): Uint8Array {
  const h = BUILTIN.hello();
  const u32 = { kind: "int", name: "u32", size: 4, signed: false } as const;
  const extra: MapDef[] = names.map((name) => ({
    name,
    type: 2,
    keySize: 4,
    valueSize: 4,
    maxEntries: 1,
    flags: 0,
    key: u32,
    value: u32,
  }));
  return writeBpfObject({ ...h, maps: [...h.maps, ...extra] });
}

function waitFor(child: ChildProcess, text: string, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const t = setTimeout(() => reject(new Error(`no '${text}' within ${ms} ms; got: ${seen}`)), ms);
    child.stdout!.on("data", (d) => {
      seen += d;
      if (seen.includes(text)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

function exited(child: ChildProcess, ms = 10_000): Promise<number | string> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const t = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
    child.on("exit", (code, sig) => {
      clearTimeout(t);
      resolve(code ?? sig ?? -1);
    });
  });
}

describe.skipIf(!haveKernel)("tsebpf run: nothing left behind", () => {
  const bpffs = suiteBpffs();
  const { host: a } = suiteVeth(`l${tag}`);
  const attached = () => xdpState(resolveIface(a)).progId;
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tsebpf-life-"));
    writeFileSync(join(dir, "hello.o"), builtinObject("hello"));
  });
  afterAll(() => {
    for (const c of children) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  /** `run` through node and the CLI, or through the npm bin (sh), started plainly or by nohup. */
  function start(args: string[], via: "node" | "sh" | "nohup" = "node"): ChildProcess {
    const argv = ["run", join(dir, "hello.o"), "-i", a, "--mode", "skb", "--netlink", ...args];
    const sh = ["sh", join(root, "bin", "tsebpf"), ...argv];
    const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
    const c =
      via === "node"
        ? spawn(process.execPath, [BIN, ...argv], { stdio })
        : via === "sh"
          ? spawn(sh[0], sh.slice(1), { stdio })
          : spawn("nohup", sh, { stdio });
    children.push(c);
    return c;
  }

  it("the stop signals are handled before the program is attached", async () => {
    const signals = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;
    const before = signals.map((s) => process.listenerCount(s));
    let atAttach: number[] = [];
    const { io } = capture();
    io.stderr = (s) =>
      void (s.startsWith("note: attached") && (atAttach = signals.map((x) => process.listenerCount(x))));
    let stop!: () => void;
    const done = runProgram(
      join(dir, "hello.o"),
      { iface: a, mode: "skb", netlink: true, verbose: true },
      io,
      new Promise<void>((r) => (stop = r)),
    );
    for (const t0 = Date.now(); !atAttach.length && Date.now() - t0 < 10_000; )
      await new Promise((r) => setTimeout(r, 10));
    stop();
    expect(await done).toBe(0);
    expect(atAttach.map((n, i) => n - before[i])).toEqual([1, 1, 1, 1]);
    expect(attached()).toBe(0);
  });

  it.each(["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGALRM", "SIGUSR2"] as const)(
    "%s detaches a netlink attachment and exits 0",
    async (sig) => {
      const c = start([]);
      await waitFor(c, "Waiting for Ctrl-C");
      expect(attached()).toBeGreaterThan(0);
      c.kill(sig);
      expect(await exited(c)).toBe(0);
      expect(attached()).toBe(0);
    },
  );

  it("a closed stdout stops `run` quietly and detaches", () => {
    const r = spawnSync(
      "bash",
      [
        "-c",
        `"${process.execPath}" "${BIN}" run "${join(dir, "hello.o")}" -i ${a} --mode skb --netlink 2>"${dir}/err" | true; echo \${PIPESTATUS[0]}`,
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(r.stdout.trim()).toBe("0");
    expect(execFileSync("cat", [`${dir}/err`], { encoding: "utf8" })).toBe("");
    expect(attached()).toBe(0);
  });

  it.each([
    ["help", "run"],
    ["test", "programs/hello.ts", "--packet", "00".repeat(64), "--repeat", "3"], // output discarded: no VM twin
  ])("`%s … | true` exits 0 without an EPIPE stack trace", (...args) => {
    const r = spawnSync(
      "bash",
      [
        "-c",
        `cd "${root}" && "${process.execPath}" "${BIN}" ${args.join(" ")} 2>"${dir}/err2" | true; echo \${PIPESTATUS[0]}`,
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(r.stdout.trim()).toBe("0");
    expect(execFileSync("cat", [`${dir}/err2`], { encoding: "utf8" })).toBe("");
  });

  it("Ctrl-C after another process replaced the program: one note, exit 0, the other program stays", async () => {
    const { io, o } = capture();
    let stop!: () => void;
    const done = runProgram(
      join(dir, "hello.o"),
      { iface: a, mode: "skb", netlink: true },
      io,
      new Promise<void>((r) => (stop = r)),
    );
    for (const t0 = Date.now(); !attached() && Date.now() - t0 < 10_000; ) await new Promise((r) => setTimeout(r, 10));
    const ours = attached();
    const other = loadObject(builtinObject("hello"));
    try {
      const b = attachXdp(other.program().fd, a, { mode: "skb", force: true });
      try {
        stop();
        expect(await done).toBe(0);
        expect(o.err).toBe(
          `tsebpf: note: program id ${ours} is no longer attached to ${a} (program id ${b.progId} replaced it); left ${a} as it is\n`,
        );
        expect(attached()).toBe(b.progId);
      } finally {
        b.detach();
      }
    } finally {
      other.close();
    }
    expect(attached()).toBe(0);
  });

  it("through the npm bin, SIGHUP (not ignored: the bin's check for nohup) detaches and exits 0", async () => {
    const c = start([], "sh");
    await waitFor(c, "Waiting for Ctrl-C");
    expect(attached()).toBeGreaterThan(0);
    c.kill("SIGHUP");
    expect(await exited(c)).toBe(0);
    expect(attached()).toBe(0);
  });

  it("nohup: an ignored SIGHUP stays ignored", async () => {
    const c = start([], "nohup");
    await waitFor(c, "Waiting for Ctrl-C");
    c.kill("SIGHUP");
    await new Promise((r) => setTimeout(r, 500));
    expect(c.exitCode).toBe(null);
    expect(attached()).toBeGreaterThan(0);
    c.kill("SIGINT");
    expect(await exited(c)).toBe(0);
    expect(attached()).toBe(0);
  });

  it("--pin where the file system is not bpffs: a clear message at once (sysfs used to hang)", () => {
    for (const pin of [join(dir, "not-bpffs", "fw"), `/sys/kernel/tsebpf-${tag}/fw`]) {
      const r = spawnSync(process.execPath, [BIN, "run", join(dir, "hello.o"), "-i", a, "--pin", pin], {
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(r.stderr).toBe(`tsebpf: error: --pin ${pin}: not a bpf filesystem (mount -t bpf bpf /sys/fs/bpf)\n`);
      expect(r.status).toBe(1);
      expect(existsSync(join(dir, "not-bpffs"))).toBe(false);
    }
    expect(attached()).toBe(0);
  });

  it("a failed --pin removes the directories and pins it created", async () => {
    writeFileSync(join(dir, "dup.o"), helloWithMaps("xdp_hello")); // a map named like the program
    const { io } = capture();
    await expect(runProgram(join(dir, "dup.o"), { iface: a, pin: join(bpffs(), "a", "b") }, io)).rejects.toThrow(
      /pinning to .*\/a\/b\/xdp_hello: file exists/,
    );
    expect(existsSync(join(bpffs(), "a"))).toBe(false);
    expect(attached()).toBe(0);
  });

  it.each(["../../abc", "..", "x/y"])("--pin refuses an object name that leaves the directory: %s", async (name) => {
    writeFileSync(join(dir, "evil.o"), helloWithMaps(name));
    const { io } = capture();
    await expect(runProgram(join(dir, "evil.o"), { iface: a, pin: join(bpffs(), "p", "q") }, io)).rejects.toThrow(
      `--pin: the object names a program or map '${name}'`,
    );
    expect(existsSync(join(bpffs(), "p"))).toBe(false);
    expect(existsSync(join(bpffs(), "abc"))).toBe(false); // where p/q/../../abc would have pinned
    expect(attached()).toBe(0);
  });
});

describe("bin/tsebpf", () => {
  it("execs node: signals sent to the pid it was started as reach tsebpf itself", () => {
    withTempDir("tsebpf-exec-", (d) => {
      execFileSync("mkdir", ["-p", join(d, "bin"), join(d, "dist")]);
      execFileSync("cp", [join(root, "bin", "tsebpf"), join(d, "bin", "tsebpf")]);
      writeFileSync(join(d, "bin", "tsebpf.js"), "console.log(process.pid);\n");
      for (const cmd of ["run", "test", "build"]) {
        const c = spawnSync("sh", ["-c", `sh "${join(d, "bin", "tsebpf")}" ${cmd} & echo $!; wait`], {
          encoding: "utf8",
        });
        const [shellPid, nodePid] = c.stdout.trim().split("\n");
        expect(nodePid).toBe(shellPid);
      }
    });
  });
});
