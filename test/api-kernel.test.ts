// The library API (loader/api, the package's runtime entry) in the kernel: load a .ts program,
// its typed map handles (get/set/has/delete/entries, per-CPU arrays with .sum(), LPM CIDR strings),
// testRun verdicts that follow the maps, attach/detach on a veth in a namespace (bpf_link and
// netlink), close() and Symbol.dispose detaching what was attached, and clear LoaderErrors.
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { caught } from "./helpers/errors.js";
import { haveKernel, kernelSkipReason } from "./helpers/env.js";
import { frame } from "./helpers/packets.js";
import { suiteVeth } from "./helpers/veth.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { apiTestRun } from "./helpers/twin.js";
import { ip, load } from "../loader/api/index.js";
import { xdpState } from "../loader/attach.js";
import { ifIndex } from "../loader/sys/netlink.js";
import { mapLookup, objGet } from "../loader/sys/bpf.js";
import { closeFd } from "../loader/sys/libc.js";
import { existsSync } from "node:fs";
import { join } from "node:path";

const pkt = (src: string, proto = 17) => frame({ src, dst: "203.0.113.1", proto });

describe.skipIf(!haveKernel)(`load() API in the kernel ${kernelSkipReason}`, () => {
  it("hash map: set/get/has/delete/entries drive the firewall's verdict", async () => {
    using obj = await load("programs/firewall.ts");
    const fw = (packet: Uint8Array, o: { repeat?: number } = {}) =>
      apiTestRun(obj, packet, { ...o, program: "xdp_firewall" });
    const bl = obj.maps.BLOCKLIST!;
    expect(fw(pkt("198.51.100.7")).verdict).toBe("XDP_PASS");
    bl.set(ip("198.51.100.7"), 1);
    expect([bl.has(ip("198.51.100.7")), bl.get(ip("198.51.100.7")), bl.get(ip("198.51.100.8"))]).toEqual([
      true,
      1,
      undefined,
    ]);
    expect([...bl.entries()]).toEqual([[ip("198.51.100.7"), 1]]);
    const r = fw(pkt("198.51.100.7"), { repeat: 10 });
    expect([r.verdict, r.action, r.packet.length]).toEqual(["XDP_DROP", 1, pkt("198.51.100.7").length]);
    expect(fw(pkt("198.51.100.8")).verdict).toBe("XDP_PASS");
    expect([bl.delete(ip("198.51.100.7")), bl.delete(ip("198.51.100.7"))]).toEqual([true, false]);
    expect(fw(pkt("198.51.100.7")).verdict).toBe("XDP_PASS");
  });

  it("per-CPU array: one value per possible CPU, .sum() counts the test runs", async () => {
    using obj = await load("programs/counters.ts");
    const c = obj.maps.COUNTERS!;
    apiTestRun(obj, pkt("198.51.100.1", 17), { repeat: 5 });
    apiTestRun(obj, pkt("198.51.100.1", 6));
    const udp = c.get(17) as number[] & { sum(): number };
    expect(udp.length).toBeGreaterThanOrEqual(1);
    expect([udp.sum(), (c.get(6) as { sum(): number }).sum(), (c.get(1) as { sum(): number }).sum()]).toEqual([
      5, 1, 0,
    ]);
    c.set(17, 0); // one value for every CPU
    expect((c.get(17) as { sum(): number }).sum()).toBe(0);
    c.set(
      1,
      udp.map((_, i) => i + 1),
    );
    expect((c.get(1) as { sum(): number }).sum()).toBe((udp.length * (udp.length + 1)) / 2);
    expect(caught(() => c.set(300, 1)).code).toBe("bad-key");
  });

  it("LPM trie: CIDR strings in and out", async () => {
    using obj = await load("programs/cidr.ts");
    const t = obj.maps.CIDR_BLOCKLIST!;
    t.set("198.51.100.0/24", 1);
    expect([...t.keys()]).toEqual(["198.51.100.0/24"]);
    expect(t.get("198.51.100.0/24")).toBe(1);
    expect(apiTestRun(obj, pkt("198.51.100.9")).verdict).toBe("XDP_DROP");
    expect(apiTestRun(obj, pkt("203.0.113.9")).verdict).toBe("XDP_PASS");
    expect(caught(() => t.set("198.51.100.0/33", 1)).message).toBe(
      "map CIDR_BLOCKLIST: key '198.51.100.0/33': an LPM trie key is a CIDR string ('198.51.100.0/24', '2001:db8::/32') or address",
    );
  });

  it("wrong keys and values are LoaderErrors naming the map; a closed object refuses use", async () => {
    const obj = await load("programs/firewall.ts");
    const bl = obj.maps.BLOCKLIST!;
    expect(caught(() => bl.set(-1, 1)).message).toBe("map BLOCKLIST: key -1: does not fit u32 (0..4294967295)");
    expect(caught(() => bl.set(1, 2 ** 32)).code).toBe("bad-value");
    expect(caught(() => bl.set("x" as unknown as number, 1)).message).toBe(
      "map BLOCKLIST: key 'x': expected an integer, not string",
    );
    expect(caught(() => obj.program("nope")).code).toBe("no-program");
    obj.close();
    obj.close();
    expect(caught(() => bl.get(1)).code).toBe("closed");
    expect(caught(() => obj.program()).code).toBe("closed");
  });

  it("a missing file and a corrupt object are clear errors", async () => {
    await expect(load("programs/nope.ts")).rejects.toMatchObject({ code: "ENOENT" });
    await expect(load(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1]))).rejects.toMatchObject({ code: "bad-object" });
  });

  describe("pin", () => {
    const bpffs = suiteBpffs();

    it("pins the program and maps by name; the pinned map is the one the handle writes", async () => {
      const dir = join(bpffs(), "fw");
      {
        using obj = await load("programs/firewall.ts", { pin: dir });
        obj.maps.BLOCKLIST!.set(ip("198.51.100.7"), 5);
      }
      expect([existsSync(join(dir, "xdp_firewall")), existsSync(join(dir, "BLOCKLIST"))]).toEqual([true, true]);
      const fd = objGet(join(dir, "BLOCKLIST"));
      try {
        const key = Buffer.alloc(4);
        key.writeUInt32LE(ip("198.51.100.7"));
        expect(mapLookup(fd, key, 4)?.readUInt32LE(0)).toBe(5);
      } finally {
        closeFd(fd);
      }
      await expect(load("programs/firewall.ts", { pin: join(bpffs(), "..", "not-bpffs") })).rejects.toMatchObject({
        code: "pin",
      });
    });
  });

  describe("attach", () => {
    const v = suiteVeth(`api${randomBytes(3).toString("hex")}`);

    it("bpf_link by default; detach() and close() remove it", async () => {
      const obj = await load("programs/firewall.ts");
      const link = obj.program().attach(v.host, { mode: "skb" });
      expect(link.kind).toBe("link");
      expect(xdpState(ifIndex(v.host)).progId).toBe(link.programId);
      link.detach();
      expect(xdpState(ifIndex(v.host)).progId).toBe(0);
      obj.program().attach(v.host, { mode: "skb" });
      obj.close(); // detaches what the object attached
      expect(xdpState(ifIndex(v.host)).progId).toBe(0);
    });

    it("netlink on request; `using` detaches at the end of the block", async () => {
      {
        using obj = await load("programs/hello.ts");
        using link = obj.program().attach(v.host, { mode: "skb", netlink: true });
        expect(link.kind).toBe("netlink");
        expect(xdpState(ifIndex(v.host)).progId).toBe(link.programId);
      }
      expect(xdpState(ifIndex(v.host)).progId).toBe(0);
    });

    it("a missing interface and a bad mode are clear errors", async () => {
      using obj = await load("programs/hello.ts");
      expect(caught(() => obj.program().attach("tsebpf-nope0")).message).toMatch(
        /interface 'tsebpf-nope0' does not exist/,
      );
      expect(caught(() => obj.program().attach(v.host, { mode: "fast" as "skb" })).code).toBe("bad-mode");
    });
  });
});
