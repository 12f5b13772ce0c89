// Pins that persist, in the kernel (each suite in its own bpffs): load({ pin }) and `run --pin`
// reuse a map already pinned by name when it matches (contents survive a restart) and refuse one
// that differs, naming the map and the difference; loadPinned(dir) opens the maps from another
// process; link.pin() keeps a program attached after close and `tsebpf detach --pin` removes it.
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { haveKernel, kernelSkipReason } from "./helpers/env.js";
import { frame } from "./helpers/packets.js";
import { suiteVeth } from "./helpers/veth.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { BIN, captureIo, cli } from "./helpers/cli.js";
import { requireFreshDist } from "./helpers/dist.js";
import { apiTestRun } from "./helpers/twin.js";
import { ip, load, loadPinned, LoaderError } from "../loader/api/index.js";
import { xdpState } from "../loader/attach.js";
import { ifIndex } from "../loader/sys/netlink.js";
import { mapCreate, objPin, progInfo, objGet } from "../loader/sys/bpf.js";
import { closeFd } from "../loader/sys/libc.js";
import { MAP_TYPE } from "../compiler/abi.js";
import { runProgram } from "../cli/commands/run-program.js";

const pkt = (src: string) => frame({ src, dst: "203.0.113.1", proto: 17 });
const tag = randomBytes(3).toString("hex");

function pinnedProgId(path: string): number {
  const fd = objGet(path);
  try {
    return progInfo(fd).id;
  } finally {
    closeFd(fd);
  }
}

describe("tsebpf detach", () => {
  it("--help names --pin; without it, one line and exit 2", async () => {
    expect((await cli("--help")).out).toMatch(/\n  detach \[options\] +detach an XDP program whose bpf_link is pinned/);
    const help = await cli("detach", "--help");
    expect([help.code, help.out]).toEqual([0, expect.stringContaining("sudo tsebpf detach --pin /sys/fs/bpf/fw/link")]);
    const bare = await cli("detach");
    expect([bare.code, bare.err.split("\n")[0]]).toEqual([2, "error: required option '--pin <path>' not specified"]);
  });
});

describe.skipIf(!haveKernel)(`pins that persist ${kernelSkipReason}`, () => {
  const bpffs = suiteBpffs();
  requireFreshDist();

  it("load({ pin }) twice: the second load reuses the pinned BLOCKLIST, the program pin is replaced", async () => {
    const dir = join(bpffs(), "fw");
    let firstProg: number;
    {
      using a = await load("programs/firewall.ts", { pin: dir });
      a.maps.BLOCKLIST!.set(ip("198.51.100.7"), 3);
      firstProg = pinnedProgId(join(dir, "xdp_firewall"));
    }
    const notes: string[] = [];
    using b = await load("programs/firewall.ts", { pin: dir, verbose: (n) => notes.push(n) });
    expect([...b.maps.BLOCKLIST!.entries()]).toEqual([[ip("198.51.100.7"), 3]]);
    expect(apiTestRun(b, pkt("198.51.100.7")).verdict).toBe("XDP_DROP"); // the new program reads the old map
    expect(pinnedProgId(join(dir, "xdp_firewall"))).not.toBe(firstProg);
    expect(notes).toContain(`note: map BLOCKLIST: reusing the map pinned in ${dir}`);
  });

  it("a pinned map that differs is refused, naming the map and the difference; nothing is pinned", async () => {
    const dir = join(bpffs(), "mismatch");
    spawnSync("mkdir", [dir]);
    const fd = mapCreate({ type: MAP_TYPE.HASH, keySize: 4, valueSize: 8, maxEntries: 16, name: "BLOCKLIST" });
    objPin(fd, join(dir, "BLOCKLIST"));
    closeFd(fd);
    const e = await load("programs/firewall.ts", { pin: dir }).catch((x) => x);
    expect(e).toBeInstanceOf(LoaderError);
    expect([e.code, e.message]).toEqual([
      "pin-mismatch",
      `map BLOCKLIST: the map pinned at ${dir}/BLOCKLIST does not match the program's declaration: value size 8 pinned, 4 declared; max_entries 16 pinned, 1024 declared\n  hint: remove the old pin (rm ${dir}/BLOCKLIST) to start with a new map, or pin elsewhere`,
    ]);
    expect(existsSync(join(dir, "xdp_firewall"))).toBe(false);
  });

  it("a program pinned where a map would be is refused", async () => {
    const dir = join(bpffs(), "notmap");
    {
      using a = await load("programs/firewall.ts", { pin: dir });
      objPin(a.program().fd, join(dir, "X"));
    }
    const src = "programs/firewall.ts";
    spawnSync("mv", [join(dir, "X"), join(dir, "BLOCKLIST")]);
    await expect(load(src, { pin: dir })).rejects.toThrow(`map BLOCKLIST: ${dir}/BLOCKLIST is pinned but is not a map`);
  });

  it("loadPinned(dir) from another process reads and writes the running program's maps, typed by BTF", async () => {
    const dir = join(bpffs(), "shared");
    using obj = await load("programs/counters.ts", { pin: dir });
    apiTestRun(obj, pkt("198.51.100.1"), { repeat: 4 });
    using fw = await load("programs/firewall.ts", { pin: dir });
    const script = `import { loadPinned, ip } from ${JSON.stringify(new URL("../dist/loader/api/index.js", import.meta.url).href)};
const p = loadPinned(${JSON.stringify(dir)});
p.maps.BLOCKLIST.set(ip("198.51.100.5"), 1);
console.log(JSON.stringify([Object.keys(p.maps), p.maps.COUNTERS.get(17).sum()]));
p.close();`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([["BLOCKLIST", "COUNTERS", "TSEBPF_DROPS", "TSEBPF_LOGS"], 4]);
    expect(apiTestRun(fw, pkt("198.51.100.5")).verdict).toBe("XDP_DROP");
    expect(() => loadPinned(join(bpffs(), "..", "nope"))).toThrow(/is not a directory on a bpf filesystem/);
  });

  describe("pinned links", () => {
    const v = suiteVeth(`pl${tag}`);
    const attached = () => xdpState(ifIndex(v.host)).progId;

    it("tsebpf run --pin: a --block from one run is still in BLOCKLIST in the next", async () => {
      const dir = join(bpffs(), "run");
      for (const block of [["198.51.100.9"], []]) {
        const { io } = captureIo();
        await runProgram(
          "programs/firewall.ts",
          { iface: v.host, mode: "skb", pin: dir, block },
          io,
          Promise.resolve(),
        );
      }
      using p = loadPinned(dir);
      expect(Object.keys(p.maps)).toEqual(["BLOCKLIST", "TSEBPF_DROPS", "TSEBPF_LOGS"]);
      expect([...p.maps.BLOCKLIST!.keys()]).toEqual([ip("198.51.100.9")]);
      expect(attached()).toBe(0);
    });

    it("link.pin() keeps the program attached after close; `tsebpf detach --pin` removes it", async () => {
      const path = join(bpffs(), `link-${tag}`);
      let id: number;
      {
        using obj = await load("programs/hello.ts");
        const link = obj.program().attach(v.host, { mode: "skb" });
        link.pin(path);
        id = link.programId;
      }
      expect(attached()).toBe(id);
      const r = spawnSync(process.execPath, [BIN, "detach", "--pin", path], { encoding: "utf8", timeout: 20_000 });
      expect([r.status, r.stdout, r.stderr]).toEqual([
        0,
        `detached program id ${id} from ${v.host} (ifindex ${ifIndex(v.host)}); removed ${path}\n`,
        "",
      ]);
      expect([attached(), existsSync(path)]).toEqual([0, false]);
      const again = spawnSync(process.execPath, [BIN, "detach", "--pin", path], { encoding: "utf8" });
      expect([again.status, again.stderr]).toEqual([
        1,
        `tsebpf: error: opening pinned object ${path}: no such file or directory (ENOENT)\n`,
      ]);
    });

    it("detach() on a pinned link detaches and unpins; a netlink attachment and a map pin cannot be links", async () => {
      const path = join(bpffs(), `link2-${tag}`);
      using obj = await load("programs/firewall.ts", { pin: join(bpffs(), `fw2-${tag}`) });
      const link = obj.program().attach(v.host, { mode: "skb" });
      link.pin(path);
      link.detach();
      expect([attached(), existsSync(path)]).toEqual([0, false]);
      const nl = obj.program().attach(v.host, { mode: "skb", netlink: true });
      expect(() => nl.pin(path)).toThrow(/a netlink attachment has no bpf_link to pin/);
      nl.detach();
      const r = spawnSync(process.execPath, [BIN, "detach", "--pin", join(bpffs(), `fw2-${tag}`, "BLOCKLIST")], {
        encoding: "utf8",
      });
      expect([r.status, r.stderr]).toEqual([
        1,
        `tsebpf: error: detaching the link pinned at ${join(bpffs(), `fw2-${tag}`, "BLOCKLIST")}: that is a pinned map, not a link: it attaches nothing\n  hint: rm ${join(bpffs(), `fw2-${tag}`, "BLOCKLIST")} to remove the pin\n`,
      ]);
    });
  });
});
