// `tsebpf prog list` in the kernel: the hello program attached (skb mode, netlink) to a veth end
// the test makes is listed with its id, name, tag, that interface and its maps, in both the text
// and the --json form; after detach and close it is gone from the list. `map … id:N` reads and
// writes a map by its kernel id.
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { suiteVeth } from "./helpers/veth.js";
import { cli } from "./helpers/cli.js";
import { builtinObject } from "../loader/builtin.js";
import { loadObject } from "../loader/object.js";
import { attachXdp } from "../loader/attach.js";
import { progInfo } from "../loader/sys/bpf.js";
import { u32le } from "../loader/map.js";

const tag = Math.random().toString(36).slice(2, 7);

interface Listed {
  id: number;
  name: string;
  tag: string;
  interfaces: string[];
  maps: { id: number; name: string }[];
}

async function listed(): Promise<Listed[]> {
  const r = await cli("prog", "list", "--json");
  expect(r.code).toBe(0);
  return r.out
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Listed);
}

describe.skipIf(!haveKernel)("tsebpf prog list", () => {
  const { host } = suiteVeth(`p${tag}`);

  it("lists an attached XDP program with its interface and maps, and not after it is gone", async () => {
    const obj = loadObject(builtinObject("hello"));
    let id = 0;
    try {
      const prog = obj.program();
      const att = attachXdp(prog.fd, host, { mode: "skb", netlink: true });
      try {
        id = att.progId;
        const mine = (await listed()).find((p) => p.id === id);
        expect(mine).toEqual({
          id,
          name: prog.name.slice(0, 15),
          tag: progInfo(prog.fd).tag,
          interfaces: [host],
          maps: obj.maps.map((m) => ({ id: m.id(), name: m.name })),
        });
        const text = (await cli("prog", "list")).out.split("\n").find((l) => l.startsWith(`${id}  `));
        expect(text).toBe(
          `${id}  ${mine!.name}  tag ${mine!.tag}  ifaces ${host}  maps ${mine!.maps.map((m) => `${m.id}:${m.name}`).join(",")}`,
        );
      } finally {
        att.detach();
      }
    } finally {
      obj.close();
    }
    expect((await listed()).some((p) => p.id === id)).toBe(false);
  });
});

describe.skipIf(!haveKernel)("tsebpf map … id:N", () => {
  it("reads and writes a map by the kernel id prog list shows; an unknown id is one error line", async () => {
    const obj = loadObject(builtinObject("firewall"));
    try {
      const bl = obj.maps.find((m) => m.name === "BLOCKLIST")!;
      const ref = `id:${bl.id()}`;
      expect((await cli("map", "set", ref, "198.51.100.7=3")).code).toBe(0);
      expect(bl.get(u32le(0xc6336407))?.readUInt32LE(0)).toBe(3);
      expect((await cli("map", "get", ref, "198.51.100.7", "--json")).out).toBe(`{"key":${0xc6336407},"value":3}\n`);
      expect((await cli("map", "dump", ref)).out).toBe(`${0xc6336407}: 3\n`);
      expect((await cli("map", "delete", ref, "198.51.100.7")).code).toBe(0);
      expect((await cli("map", "dump", ref)).out).toBe("");
    } finally {
      obj.close();
    }
    const none = await cli("map", "dump", `id:${0x7ffffff0}`);
    expect([none.code, none.err]).toEqual([1, `tsebpf: error: id:${0x7ffffff0}: no map with this id\n`]);
  });
});
