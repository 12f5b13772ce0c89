// `tsebpf prog list` in the kernel: the hello program attached (skb mode, netlink) to a veth end
// the test makes is listed with its id, name, tag, that interface and its maps, in both the text
// and the --json form; after detach and close it is gone from the list.
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { suiteVeth } from "./helpers/veth.js";
import { cli } from "./helpers/cli.js";
import { builtinObject } from "../loader/builtin.js";
import { loadObject } from "../loader/object.js";
import { attachXdp } from "../loader/attach.js";
import { progInfo } from "../loader/sys/bpf.js";

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
