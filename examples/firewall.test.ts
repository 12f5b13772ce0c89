// A unit test of programs/firewall.ts that runs without root, BPF or Linux: copy it into your
// project's tests (npm i -D tsebpf vitest; npx vitest run). testXdp builds the program and runs one
// packet in tsebpf's in-process VM; loadXdp keeps one program (and its maps) for many packets.
import { describe, expect, it } from "vitest";
import { ipv4, loadXdp, testXdp } from "tsebpf/testing";

/** An Ethernet + IPv4 + UDP frame from `src` to 198.51.100.1. */
function udpFrom(src: string): Uint8Array {
  const f = new Uint8Array(42);
  f.set([0x08, 0x00], 12); // EtherType: IPv4
  f.set([0x45, 0, 0, 28], 14); // version 4, header 20 bytes, total length 28
  f[23] = 17; // protocol: UDP
  f.set(src.split(".").map(Number), 26); // source address
  f.set([198, 51, 100, 1], 30); // destination address
  return f;
}

const maps = { BLOCKLIST: [["198.51.100.7", 1]] as [string, number][] };

describe("programs/firewall.ts", () => {
  it("drops a source in BLOCKLIST and logs it", async () => {
    const r = await testXdp("programs/firewall.ts", { packet: udpFrom("198.51.100.7"), maps });
    expect(r.verdict).toBe("XDP_DROP");
    expect(r.packet).toEqual(udpFrom("198.51.100.7"));
    expect(r.maps.BLOCKLIST).toEqual([[ipv4("198.51.100.7"), 1]]);
    expect(r.logs).toEqual([{ level: "INFO", program: "xdp_firewall", message: "SRC: 198.51.100.7, ACTION: 1" }]);
  });

  it("passes every other source", async () => {
    const r = await testXdp("programs/firewall.ts", { packet: udpFrom("198.51.100.2"), maps });
    expect(r.verdict).toBe("XDP_PASS");
    expect(r.logs[0].message).toBe("SRC: 198.51.100.2, ACTION: 2");
  });

  it("runs 10,000 packets through one loaded program", () => {
    const fw = loadXdp("programs/firewall.ts", { maps });
    let dropped = 0;
    for (let i = 0; i < 10_000; i++) if (fw.run(udpFrom(`198.51.100.${i % 10}`)).verdict === "XDP_DROP") dropped++;
    expect(dropped).toBe(1_000);
  });
});
