// Least privilege (issue 7 §3): `tsebpf test` and `tsebpf run` as an unprivileged uid (65534)
// with exactly the capabilities README documents — CAP_BPF + CAP_NET_ADMIN, plus CAP_PERFMON for
// headers at a variable offset — on a program that reads ctx.length (once pointer arithmetic,
// refused without CAP_PERFMON; now the bpf_xdp_get_buff_len helper) and one with a variable
// header offset, whose refusal names the missing capability; packet loads/stores at constant and
// variable offsets likewise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { haveKernel, haveTools } from "./helpers/env.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { suiteVeth } from "./helpers/veth.js";
import { BIN, expectSameTest, withVm } from "./helpers/cli.js";
import { resolveIface, xdpState } from "../loader/attach.js";

const tag = Math.random().toString(36).slice(2, 7);
const NOBODY = 65534;
const PACKET = "00".repeat(64);

const LEN = `import { XdpContext, XdpAction, info } from "tsebpf";
export function xdp_len(ctx: XdpContext): XdpAction {
  info(\`length \${ctx.length}\`);
  return ctx.length >= 60 ? XdpAction.Pass : XdpAction.Drop;
}
`;
const VAR = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr } from "tsebpf";
export function xdp_var(ctx: XdpContext): XdpAction {
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const udp = ctx.header(UdpHdr, EthHdr.size + ip.ihl * 4);
  if (udp === null) return XdpAction.Pass;
  return udp.dstPort === 0 ? XdpAction.Drop : XdpAction.Pass;
}
`;
const BYTES = `import { XdpContext, XdpAction } from "tsebpf";
export function xdp_bytes(ctx: XdpContext): XdpAction {
  if (ctx.storeU16(12, 0x86dd) && (ctx.loadU32(10) ?? 0) === 0x86dd) return XdpAction.Tx;
  return XdpAction.Drop;
}
`;
const VAR_BYTES = `import { XdpContext, XdpAction } from "tsebpf";
export function xdp_vbytes(ctx: XdpContext): XdpAction {
  return ctx.loadU8(ctx.length - 1) === null ? XdpAction.Drop : XdpAction.Tx;
}
`;

/** setpriv arguments: uid/gid 65534, no groups, exactly these capabilities (ambient, so node keeps them). */
function asNobody(caps: string[]): string[] {
  const set = ["-all", ...caps.map((c) => `+${c}`)].join(",");
  return [
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    "--clear-groups",
    `--inh-caps=${set}`,
    `--ambient-caps=${set}`,
    `--bounding-set=${set}`,
    process.execPath,
    BIN,
  ];
}

describe.skipIf(!haveKernel || !haveTools("setpriv", "ip"))(
  "least privilege: uid 65534 with the documented capabilities",
  () => {
    const bpffs = suiteBpffs();
    const { host: a } = suiteVeth(`c${tag}`);
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "tsebpf-caps-"));
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, "len.ts"), LEN, { mode: 0o644 });
      writeFileSync(join(dir, "var.ts"), VAR, { mode: 0o644 });
      writeFileSync(join(dir, "bytes.ts"), BYTES, { mode: 0o644 });
      writeFileSync(join(dir, "vbytes.ts"), VAR_BYTES, { mode: 0o644 });
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    const child = (caps: string[], argv: string[]) =>
      spawnSync("setpriv", [...asNobody(caps), ...argv], { encoding: "utf8", timeout: 60_000, cwd: dir });
    /** `tsebpf test` as nobody; a run the kernel did (no note, exit 0) runs again with --vm and must
     *  print the same (issue 11 §4). Refusals and the VM fallback stay uncompared: no packet ran. */
    const test = (caps: string[], file: string) => {
      const argv = ["test", join(dir, file), "--packet", PACKET];
      const r = child(caps, argv);
      if (r.status === 0 && r.stderr === "") expectSameTest(`${file} --vm`, child(caps, withVm(argv)).stdout, r.stdout);
      return r;
    };

    it("test: ctx.length needs only CAP_BPF + CAP_NET_ADMIN", () => {
      const r = test(["bpf", "net_admin"], "len.ts");
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/^packet 1: XDP_PASS/);
      expect(r.status).toBe(0);
    });

    it("test: a variable header offset without CAP_PERFMON is refused with a hint naming it; with it, it runs", () => {
      const r = test(["bpf", "net_admin"], "var.ts");
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/prohibited for !root/);
      expect(r.stderr).toMatch(/\n {2}hint: .*needs CAP_PERFMON/);
      const ok = test(["bpf", "net_admin", "perfmon"], "var.ts");
      expect(ok.stderr).toBe("");
      expect(ok.stdout).toMatch(/^packet 1: XDP_DROP/);
    });

    it("test: packet loads/stores at constant offsets need no CAP_PERFMON; at variable ones they do", () => {
      const r = test(["bpf", "net_admin"], "bytes.ts");
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/^packet 1: XDP_TX/);
      const v = test(["bpf", "net_admin"], "vbytes.ts");
      expect(v.status).toBe(1);
      expect(v.stderr).toMatch(/\n {2}hint: .*needs CAP_PERFMON/);
      const ok = test(["bpf", "net_admin", "perfmon"], "vbytes.ts");
      expect(ok.stderr).toBe("");
      expect(ok.stdout).toMatch(/^packet 1: XDP_TX/);
    });

    it("test: without CAP_NET_ADMIN it runs in the VM, with one note naming the documented set", () => {
      const r = test(["bpf"], "len.ts");
      expect(r.stderr).toMatch(
        /^note: the kernel refused BPF: .*EPERM.*hint: needs root, or CAP_BPF \+ CAP_NET_ADMIN.*; running in the in-process VM instead .*\n$/,
      );
      expect(r.stdout).toMatch(/^packet 1: XDP_PASS/);
      expect(r.status).toBe(0);
    });

    it("run: attaches, pins into a directory nobody owns, prints, detaches on Ctrl-C", async () => {
      const pin = join(bpffs(), "nobody");
      mkdirSync(pin);
      chownSync(pin, NOBODY, NOBODY);
      const c = spawn(
        "setpriv",
        [
          ...asNobody(["bpf", "net_admin"]),
          "run",
          join(dir, "len.ts"),
          "-i",
          a,
          "--mode",
          "skb",
          "--pin",
          join(pin, "fw"),
        ],
        { stdio: ["ignore", "pipe", "pipe"], cwd: dir },
      );
      let out = "",
        err = "";
      c.stdout.on("data", (d) => (out += d));
      c.stderr.on("data", (d) => (err += d));
      try {
        for (
          const t0 = Date.now();
          !/Waiting for Ctrl-C/.test(out) && c.exitCode === null && Date.now() - t0 < 30_000;
        )
          await new Promise((r) => setTimeout(r, 20));
        expect(err).toBe("");
        expect(xdpState(resolveIface(a)).progId).toBeGreaterThan(0);
        expect(existsSync(join(pin, "fw", "xdp_len"))).toBe(true);
        c.kill("SIGINT");
        expect(await new Promise((r) => c.on("exit", r))).toBe(0);
        expect(xdpState(resolveIface(a)).progId).toBe(0);
      } finally {
        c.kill("SIGKILL");
      }
    });
  },
);

describe("ctx.length in the VM", () => {
  it("bpf_xdp_get_buff_len gives data_end - data, as the kernel does without fragments", async () => {
    const { XdpVm } = await import("../loader/vm/xdp.js");
    const { compileDsl } = await import("./helpers/dsl.js");
    const vm = XdpVm.fromElf(compileDsl(LEN, "len.ts"));
    expect(vm.run(new Uint8Array(64)).verdict).toBe(2); // XDP_PASS: 64 >= 60
    expect(vm.run(new Uint8Array(59)).verdict).toBe(1); // XDP_DROP
  });
});
