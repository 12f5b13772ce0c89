// Three network namespaces for router tests: a client `h1` (198.51.100.2, 2001:db8:1::2), a router
// `r` forwarding between its two veths (ra: 198.51.100.1, 2001:db8:1::1; rb: 203.0.113.1,
// 2001:db8:2::1) and a server `h2` (203.0.113.2, 2001:db8:2::2); fixed MACs, routes both ways,
// permanent neighbours (the router knows h2's; 203.0.113.9 and 2001:db8:2::9 it does not), a
// blackhole and an unreachable prefix, forwarding on. Names carry a random tag; remove() never
// throws and also cleans up after a half-made setup.
import { execFileSync } from "node:child_process";

export const MAC = {
  h1: "02:00:5e:10:00:01",
  ra: "02:00:5e:10:00:02",
  rb: "02:00:5e:10:00:03",
  h2: "02:00:5e:10:00:04",
};

export interface Routed {
  ns: { h1: string; r: string; h2: string };
  dev: { h1: string; ra: string; rb: string; h2: string };
  /** ifindex of a router interface (in r). */
  ifindex(dev: "ra" | "rb"): number;
  remove(): void;
}

export function routedNets(tag: string): Routed {
  const ns = { h1: `tsebpf-${tag}h1`, r: `tsebpf-${tag}r`, h2: `tsebpf-${tag}h2` };
  const dev = { h1: `ts${tag}h1`, ra: `ts${tag}ra`, rb: `ts${tag}rb`, h2: `ts${tag}h2` };
  const ip = (n: string, ...args: string[]) => execFileSync("ip", ["-n", n, ...args], { stdio: "pipe" });
  const remove = () => {
    for (const n of Object.values(ns))
      try {
        execFileSync("ip", ["netns", "del", n], { stdio: "ignore" });
      } catch {
        /* already gone */
      }
  };
  const ifindex = (d: "ra" | "rb") =>
    (JSON.parse(ip(ns.r, "-j", "link", "show", dev[d]).toString()) as { ifindex: number }[])[0]!.ifindex;
  try {
    for (const n of Object.values(ns)) execFileSync("ip", ["netns", "add", n], { stdio: "pipe" });
    ip(ns.h1, "link", "add", dev.h1, "type", "veth", "peer", "name", dev.ra, "netns", ns.r);
    ip(ns.h2, "link", "add", dev.h2, "type", "veth", "peer", "name", dev.rb, "netns", ns.r);
    const side = (n: string, d: keyof typeof MAC, v4: string, v6: string) => {
      ip(n, "link", "set", dev[d], "address", MAC[d]);
      ip(n, "addr", "add", v4, "dev", dev[d]);
      ip(n, "-6", "addr", "add", v6, "dev", dev[d], "nodad");
      ip(n, "link", "set", dev[d], "up");
      ip(n, "link", "set", "lo", "up");
    };
    side(ns.h1, "h1", "198.51.100.2/24", "2001:db8:1::2/64");
    side(ns.r, "ra", "198.51.100.1/24", "2001:db8:1::1/64");
    side(ns.r, "rb", "203.0.113.1/24", "2001:db8:2::1/64");
    side(ns.h2, "h2", "203.0.113.2/24", "2001:db8:2::2/64");
    const neigh = (n: string, addr: string, mac: string, d: string) =>
      ip(n, "neigh", "replace", addr, "lladdr", mac, "dev", d, "nud", "permanent");
    neigh(ns.h1, "198.51.100.1", MAC.ra, dev.h1);
    neigh(ns.h1, "2001:db8:1::1", MAC.ra, dev.h1);
    neigh(ns.r, "203.0.113.2", MAC.h2, dev.rb);
    neigh(ns.r, "2001:db8:2::2", MAC.h2, dev.rb);
    neigh(ns.h2, "203.0.113.1", MAC.rb, dev.h2);
    neigh(ns.h2, "2001:db8:2::1", MAC.rb, dev.h2);
    ip(ns.h1, "route", "add", "203.0.113.0/24", "via", "198.51.100.1");
    ip(ns.h1, "-6", "route", "add", "2001:db8:2::/64", "via", "2001:db8:1::1");
    ip(ns.h2, "route", "add", "198.51.100.0/24", "via", "203.0.113.1");
    ip(ns.h2, "-6", "route", "add", "2001:db8:1::/64", "via", "2001:db8:2::1");
    ip(ns.r, "route", "add", "blackhole", "203.0.113.128/25");
    ip(ns.r, "route", "add", "unreachable", "203.0.113.64/26");
    for (const k of ["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
      execFileSync("ip", ["netns", "exec", ns.r, "sysctl", "-qw", k], { stdio: "pipe" });
  } catch (e) {
    remove();
    throw new Error(`cannot make the routed namespaces (needs root): ${(e as { stderr?: Buffer }).stderr ?? e}`);
  }
  return { ns, dev, ifindex, remove };
}
