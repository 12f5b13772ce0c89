// The rest of the library API in the kernel: link.update() replaces the attached program
// atomically (bpf_link and netlink, the link moving to the new object), obj.logs gives the
// program's log records as events and prints them as env_logger does, entries()/setMany() use the
// batch operations, and the .bigint view reads u64 values beyond 2^53.
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { haveKernel, kernelSkipReason } from "./helpers/env.js";
import { frame } from "./helpers/packets.js";
import { suiteVeth } from "./helpers/veth.js";
import { apiTestRun } from "./helpers/twin.js";
import { ip, load, type LoaderError, type LogEvent, type PerCpuBigints } from "../loader/api/index.js";
import { xdpState } from "../loader/attach.js";
import { ifIndex } from "../loader/sys/netlink.js";
import { netlinkSetXdp, XDP_FLAGS } from "../loader/sys/netlink.js";

const pkt = (src: string) => frame({ src, dst: "203.0.113.1", proto: 17 });
const until = async (f: () => boolean, ms = 2000) => {
  for (const t0 = Date.now(); !f(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() - t0 > ms) throw new Error("timed out");
};

describe.skipIf(!haveKernel)(`library API, the rest of §1 ${kernelSkipReason}`, () => {
  describe("link.update", () => {
    const v = suiteVeth(`lu${randomBytes(3).toString("hex")}`);
    const attached = () => xdpState(ifIndex(v.host)).progId;

    it.each([false, true])(
      "replaces the program atomically (netlink: %s); closing the old object keeps it",
      async (netlink) => {
        const old = await load("programs/hello.ts");
        const link = old.program().attach(v.host, { mode: "skb", netlink });
        using next = await load("programs/firewall.ts");
        const oldId = link.programId;
        expect(attached()).toBe(oldId);
        link.update(next.program());
        expect(link.programId).not.toBe(oldId);
        expect(attached()).toBe(link.programId);
        old.close(); // the link runs next's program now: old's close does not detach it
        expect(attached()).toBe(link.programId);
        next.close();
        expect(attached()).toBe(0);
      },
    );

    it("netlink: a program replaced by someone else is not replaced again", async () => {
      using a = await load("programs/hello.ts");
      using b = await load("programs/firewall.ts");
      const link = a.program().attach(v.host, { mode: "skb", netlink: true });
      netlinkSetXdp(ifIndex(v.host), b.program().fd, { flags: XDP_FLAGS.SKB_MODE });
      const e = (() => {
        try {
          link.update(b.program());
        } catch (x) {
          return x as LoaderError;
        }
      })();
      expect(e?.code).toBe("not-ours");
      expect(e?.message).toMatch(/is no longer attached to .* replaced it/);
      netlinkSetXdp(ifIndex(v.host), -1, { flags: XDP_FLAGS.SKB_MODE });
    });
  });

  it("logs.on('record') gets each record; print() writes env_logger lines; off() stops", async () => {
    using obj = await load("programs/hello.ts");
    const got: LogEvent[] = [];
    const lines: string[] = [];
    const fn = (r: LogEvent) => got.push(r);
    obj.logs.on("record", fn);
    const stop = obj.logs.print({ level: "info", write: (l) => lines.push(l) });
    apiTestRun(obj, pkt("198.51.100.1"), { repeat: 3 });
    await until(() => got.length === 3 && lines.length === 3);
    expect(got[0]).toEqual({ level: 3, levelName: "INFO", program: "xdp_hello", message: "received a packet" });
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO  xdp_hello\] received a packet$/);
    stop();
    obj.logs.off("record", fn);
    apiTestRun(obj, pkt("198.51.100.1"));
    await new Promise((r) => setTimeout(r, 80));
    expect([got.length, lines.length]).toEqual([3, 3]);
    const quiet: string[] = [];
    obj.logs.print({ level: "warn", write: (l) => quiet.push(l) });
    apiTestRun(obj, pkt("198.51.100.1"));
    await new Promise((r) => setTimeout(r, 80));
    expect(quiet).toEqual([]);
    using counters = await load("programs/counters.ts");
    expect(() => counters.logs.on("record", fn)).toThrow("this program does not log");
  });

  it("entries() and setMany(): batched (hash, per-CPU array, LPM trie), in pages of 256", async () => {
    using fw = await load("programs/firewall.ts");
    const bl = fw.maps.BLOCKLIST!;
    const many = Array.from({ length: 700 }, (_, i) => [ip("198.51.100.0") + i, i] as const);
    bl.setMany(many);
    expect(bl.raw.batchEntries()).toBeDefined(); // this kernel has MAP_LOOKUP_BATCH for hash maps
    expect([...bl.entries()].sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(many);
    expect(apiTestRun(fw, pkt("198.51.100.200")).verdict).toBe("XDP_DROP");
    expect(() => bl.setMany(Array.from({ length: 400 }, (_, i) => [i + 1, 1] as const))).toThrow(/map BLOCKLIST: full/);
    using c = await load("programs/counters.ts");
    c.maps.COUNTERS!.setMany([
      [6, 2],
      [17, 5],
    ]);
    const sums = [...c.maps.COUNTERS!.entries()].map(([k, v]) => [k, (v as { sum(): number }).sum()]);
    expect(sums.length).toBe(256);
    expect(sums.filter(([, s]) => s !== 0)).toEqual([
      [6, 2 * (c.maps.COUNTERS!.get(6) as number[]).length],
      [17, 5 * (c.maps.COUNTERS!.get(17) as number[]).length],
    ]);
    using cidr = await load("programs/cidr.ts");
    cidr.maps.CIDR_BLOCKLIST!.setMany([
      ["198.51.100.0/24", 1],
      ["203.0.113.0/25", 2],
    ]);
    expect([...cidr.maps.CIDR_BLOCKLIST!.entries()].sort()).toEqual([
      ["198.51.100.0/24", 1],
      ["203.0.113.0/25", 2],
    ]);
  });

  it("u64 beyond 2^53: an error naming .bigint on the number API, exact through .bigint", async () => {
    using c = await load("programs/counters.ts");
    const big = 2n ** 60n + 1n;
    c.maps.COUNTERS!.bigint.set(6, big);
    const e = (() => {
      try {
        c.maps.COUNTERS!.get(6);
      } catch (x) {
        return x as LoaderError;
      }
    })();
    expect(e?.message).toBe(
      `map COUNTERS: value ${big} does not fit a JS number exactly (beyond 2^53)\n  hint: read it as a bigint through the .bigint view: maps.COUNTERS.bigint.get(key)`,
    );
    const per = c.maps.COUNTERS!.bigint.get(6) as PerCpuBigints;
    expect([per[0], per.sum()]).toEqual([big, big * BigInt(per.length)]);
    expect((c.maps.COUNTERS!.bigint.get(7) as PerCpuBigints).sum()).toBe(0n);
    c.maps.COUNTERS!.set(8, 2 ** 40); // numbers stay numbers while exact
    expect((c.maps.COUNTERS!.get(8) as { sum(): number }).sum()).toBe(2 ** 40 * per.length);
    expect([...c.maps.COUNTERS!.bigint.keys()].slice(0, 2)).toEqual([0, 1]); // keys stay numbers
  });
});
