// A veth pair for kernel tests: a fresh network namespace `tsebpf-<tag>` holding the peer
// `ts<tag>p`, with the host end `ts<tag>` left down in the test's namespace. Removal never throws
// and also cleans up after a half-made setup; pass a random tag (other suites run at the same time).
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
