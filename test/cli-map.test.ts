// `tsebpf map list|dump|get|set|delete` on maps pinned in a private bpffs, in process: values as
// their BTF types describe them (per-CPU: one per CPU), --json and --hex, keys as `run --map`
// takes them, and clear one-line errors for a missing entry and a pin that is not a map.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { haveKernel, kernelSkipReason } from "./helpers/env.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { cli } from "./helpers/cli.js";
import { apiTestRun } from "./helpers/twin.js";
import { ip, load } from "../loader/api/index.js";

describe.skipIf(!haveKernel)(`tsebpf map ${kernelSkipReason}`, () => {
  const bpffs = suiteBpffs();

  it("lists, dumps, gets, sets and deletes entries of pinned maps", async () => {
    const dir = join(bpffs(), "fw");
    {
      using fw = await load("programs/firewall.ts", { pin: dir });
      fw.maps.BLOCKLIST!.set(ip("198.51.100.7"), 5);
      using c = await load("programs/counters.ts", { pin: dir });
      apiTestRun(c, new Uint8Array(64));
    }
    const bl = join(dir, "BLOCKLIST");
    const list = await cli("map", "list", "--pin", dir);
    expect(list.out.split("\n")[0]).toBe("BLOCKLIST  hash  key 4 B  value 4 B  max_entries 1024");
    expect(list.out).toContain("COUNTERS  percpu_array  key 4 B  value 8 B  max_entries 256\n");
    expect((await cli("map", "dump", bl)).out).toBe(`${ip("198.51.100.7")}: 5\n`);
    expect((await cli("map", "set", bl, "198.51.100.8=2")).code).toBe(0);
    expect((await cli("map", "get", bl, "198.51.100.8", "--json")).out).toBe(
      `{"key":${ip("198.51.100.8")},"value":2}\n`,
    );
    expect((await cli("map", "get", bl, "198.51.100.8", "--hex")).out).toBe("086433c6: 02000000\n");
    expect((await cli("map", "delete", bl, "198.51.100.8")).code).toBe(0);
    const again = await cli("map", "delete", bl, "198.51.100.8");
    expect([again.code, again.err]).toEqual([1, `tsebpf: error: ${bl}: no entry for key '198.51.100.8'\n`]);
    const counters = (await cli("map", "dump", join(dir, "COUNTERS"))).out.split("\n");
    expect(counters[0]).toMatch(/^0: \[0(,0)*\]$/);
    const notMap = await cli("map", "dump", join(dir, "xdp_firewall"));
    expect(notMap.err).toBe(`tsebpf: error: ${join(dir, "xdp_firewall")}: is pinned but is not a map\n`);
  });

  it("struct keys and values as JSON: set, get and dump FLOWS; a wrong field is one line", async () => {
    const dir = join(bpffs(), "flows");
    using obj = await load("programs/flowstats.ts", { pin: dir });
    const flows = join(dir, "FLOWS");
    const key = `{"srcAddr":"198.51.100.7","dstAddr":3405803777,"srcPort":1000,"dstPort":53,"proto":17}`;
    const shown = `{"srcAddr":${ip("198.51.100.7")},"dstAddr":3405803777,"srcPort":1000,"dstPort":53,"proto":17}`;
    const set = await cli("map", "set", flows, `${key}={"packets":1,"bytes":"18446744073709551615"}`);
    expect([set.code, set.err]).toEqual([0, ""]);
    expect(obj.maps.FLOWS!.bigint.get(JSON.parse(shown))).toEqual({ packets: 1n, bytes: 2n ** 64n - 1n });
    expect((await cli("map", "get", flows, key)).out).toBe(`${shown}: {"packets":1,"bytes":"18446744073709551615"}\n`);
    expect((await cli("map", "dump", flows, "--json")).out).toBe(
      `{"key":${shown},"value":{"packets":1,"bytes":"18446744073709551615"}}\n`,
    );
    const bad = await cli("map", "set", flows, `${key}={"packets":1}`);
    expect([bad.code, bad.err]).toEqual([
      1,
      "tsebpf: error: --map FLOWS: value.bytes: missing (struct FlowStats {packets, bytes})\n",
    ]);
    const notJson = await cli("map", "get", flows, "{srcAddr:1}");
    expect(notJson.err).toMatch(
      /^tsebpf: error: --map FLOWS: key '\{srcAddr:1\}': not JSON \(.*\); a struct is given as/,
    );
  });
});
