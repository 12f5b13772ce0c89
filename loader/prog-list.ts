// `tsebpf prog list`: the XDP programs loaded in the kernel, found by walking program ids
// (PROG_GET_NEXT_ID), each with its id, name, tag, the interfaces of this network namespace it is
// attached to (RTM_GETLINK's IFLA_XDP program id, by netlink or bpf_link alike) and its maps.
import { readdirSync } from "node:fs";
import { fdById, mapInfo, nextId, PROG_TYPE_XDP, progInfo, progMapIds } from "./sys/bpf.js";
import { closeFd } from "./sys/libc.js";
import { ifIndex, netlinkGetXdp } from "./sys/netlink.js";

export interface XdpProgram {
  id: number;
  name: string;
  tag: string;
  interfaces: string[];
  maps: { id: number; name: string }[];
}

/** Every XDP program loaded now, by id. */
export function listXdpPrograms(): XdpProgram[] {
  const ifaces = attachedInterfaces();
  const out: XdpProgram[] = [];
  for (let id = nextId("prog", 0); id !== undefined; id = nextId("prog", id)) {
    const p = withFd("prog", id, (fd) => {
      const info = progInfo(fd);
      if (info.type !== PROG_TYPE_XDP) return undefined;
      const maps = progMapIds(fd).map((m) => ({ id: m, name: withFd("map", m, (f) => mapInfo(f).name) ?? "" }));
      return { id, name: info.name, tag: info.tag, interfaces: ifaces.get(id) ?? [], maps };
    });
    if (p) out.push(p);
  }
  return out;
}

/** Program id → the interfaces it is attached to, for this namespace's interfaces. */
function attachedInterfaces(): Map<number, string[]> {
  const by = new Map<number, string[]>();
  for (const name of readdirSync("/sys/class/net").sort()) {
    const ifindex = ifIndex(name);
    const prog = ifindex ? netlinkGetXdp(ifindex).progId : 0;
    if (prog) by.set(prog, [...(by.get(prog) ?? []), name]);
  }
  return by;
}

/** f on a fresh fd for the object `id`, closed after; undefined when the object went away. */
function withFd<T>(kind: "prog" | "map", id: number, f: (fd: number) => T): T | undefined {
  const fd = fdById(kind, id);
  if (fd === undefined) return undefined;
  try {
    return f(fd);
  } finally {
    closeFd(fd);
  }
}
