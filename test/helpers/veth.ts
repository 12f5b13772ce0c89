// A veth pair for kernel tests: a fresh network namespace `tsebpf-<tag>` holding the peer
// `ts<tag>p`, with the host end `ts<tag>` left down in the test's namespace. Removal never throws
// and also cleans up after a half-made setup; pass a random tag (other suites run at the same time).
// vethNsPair puts both ends in namespaces of their own, for tests that send traffic through.
import { afterAll, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";

export interface Veth {
  ns: string;
  host: string;
  peer: string;
  remove(): void;
}

/** Create the namespace and the pair now; on failure removes what it made and rethrows. */
export function vethInNs(tag: string): Veth {
  const v = vethNames(tag);
  try {
    execFileSync("ip", ["netns", "add", v.ns], { stdio: "pipe" });
    execFileSync("ip", ["link", "add", v.host, "type", "veth", "peer", "name", v.peer, "netns", v.ns], {
      stdio: "pipe",
    });
  } catch (e) {
    v.remove();
    throw new Error(
      `cannot make veth ${v.host} in netns ${v.ns} (needs root): ${(e as { stderr?: Buffer }).stderr ?? e}`,
    );
  }
  return v;
}

/** Inside a describe(): the pair exists for the suite's tests and is removed after them. */
export function suiteVeth(tag: string): Veth {
  const v = vethNames(tag);
  beforeAll(() => void vethInNs(tag));
  afterAll(() => v.remove());
  return v;
}

function vethNames(tag: string): Veth {
  const ns = `tsebpf-${tag}`,
    host = `ts${tag}`;
  const quiet = (...args: string[]) => {
    try {
      execFileSync("ip", args, { stdio: "ignore" });
    } catch {
      /* already gone */
    }
  };
  return {
    ns,
    host,
    peer: `${host}p`,
    remove: () => {
      quiet("link", "del", host);
      quiet("netns", "del", ns);
    },
  };
}

/** Two namespaces joined by a veth pair: `a` in `nsA`, `b` in `nsB` (both down, no addresses). */
export interface VethNsPair {
  nsA: string;
  nsB: string;
  a: string;
  b: string;
  remove(): void;
}

/** Create both namespaces and the pair now; on failure removes what it made and rethrows. */
export function vethNsPair(tag: string): VethNsPair {
  const p = { nsA: `tsebpf-${tag}a`, nsB: `tsebpf-${tag}b`, a: `ts${tag}a`, b: `ts${tag}b` };
  const remove = () => {
    for (const ns of [p.nsA, p.nsB])
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        /* already gone */
      }
  };
  try {
    for (const ns of [p.nsA, p.nsB]) execFileSync("ip", ["netns", "add", ns], { stdio: "pipe" });
    execFileSync("ip", ["-n", p.nsA, "link", "add", p.a, "type", "veth", "peer", "name", p.b, "netns", p.nsB], {
      stdio: "pipe",
    });
  } catch (e) {
    remove();
    throw new Error(
      `cannot make veth ${p.a}/${p.b} in netns ${p.nsA}/${p.nsB}: ${(e as { stderr?: Buffer }).stderr ?? e}`,
    );
  }
  return { ...p, remove };
}
