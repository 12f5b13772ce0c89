// A throwaway two-namespace network for the demo, the end-to-end tests and the benchmark:
// namespace `<tag>-rx` holds veth `<short>r` with 198.51.100.1 (where programs attach), `<tag>-tx`
// holds `<short>t` with 198.51.100.2 and .3 (traffic sources). IPv6 is off and neighbours are
// static, so the only packets are the ones we send. Uses `ip` for set-up; `destroy()` removes all.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";

export const RX_ADDR = "198.51.100.1";
export const TX_ADDRS = ["198.51.100.2", "198.51.100.3"];
export const UDP_PORT = 9999;

export class Testbed {
  readonly rxNs: string;
  readonly txNs: string;
  readonly rxIf: string;
  readonly txIf: string;
  private children = new Set<ChildProcess>();

  constructor(tag = `tsebpf-t-${Math.random().toString(36).slice(2, 8)}`) {
    this.rxNs = `${tag}-rx`;
    this.txNs = `${tag}-tx`;
    const short = tag.replace(/[^a-z0-9]/gi, "").slice(-8);
    this.rxIf = `${short}r`;
    this.txIf = `${short}t`;
  }

  static create(tag?: string): Testbed {
    const t = new Testbed(tag);
    try {
      t.setUp();
    } catch (e) {
      t.destroy();
      throw e;
    }
    return t;
  }

  setUp(): void {
    ip("netns", "add", this.rxNs);
    ip("netns", "add", this.txNs);
    ip("link", "add", this.rxIf, "netns", this.rxNs, "type", "veth", "peer", "name", this.txIf, "netns", this.txNs);
    for (const ns of [this.rxNs, this.txNs]) {
      sh(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", `net.ipv6.conf.default.disable_ipv6=1`);
      ip("-n", ns, "link", "set", "lo", "up");
    }
    ip("-n", this.rxNs, "addr", "add", `${RX_ADDR}/24`, "dev", this.rxIf);
    for (const a of TX_ADDRS) ip("-n", this.txNs, "addr", "add", `${a}/24`, "dev", this.txIf);
    ip("-n", this.rxNs, "link", "set", this.rxIf, "up");
    ip("-n", this.txNs, "link", "set", this.txIf, "up");
    const mac = (ns: string, dev: string) => /link\/ether ([0-9a-f:]+)/.exec(ip("-n", ns, "link", "show", dev))![1];
    const rxMac = mac(this.rxNs, this.rxIf),
      txMac = mac(this.txNs, this.txIf);
    ip("-n", this.txNs, "neigh", "replace", RX_ADDR, "lladdr", rxMac, "dev", this.txIf, "nud", "permanent");
    for (const a of TX_ADDRS)
      ip("-n", this.rxNs, "neigh", "replace", a, "lladdr", txMac, "dev", this.rxIf, "nud", "permanent");
  }

  /** Spawn a command inside a namespace; killed by destroy() if still running. */
  spawnIn(ns: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const c = spawn("ip", ["netns", "exec", ns, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
    this.children.add(c);
    c.on("exit", () => this.children.delete(c));
    return c;
  }

  /** The XDP program id attached to the receiving veth (0 when none), from `ip link show`. */
  attachedProgId(): number {
    const m = /prog\/xdp id (\d+)/.exec(ip("-n", this.rxNs, "link", "show", this.rxIf));
    return m ? Number(m[1]) : 0;
  }

  /**
   * Send `count` UDP datagrams from each source to RX_ADDR:port and count what a real UDP socket in
   * the receiving namespace gets. Bounded: at most `count` per source, 2 ms apart, 1.5 s quiet timeout.
   */
  async udpExchange(sources: string[], count: number): Promise<Record<string, { sent: number; received: number }>> {
    const rx = this.spawnIn(this.rxNs, process.execPath, [
      "-e",
      RECEIVER,
      RX_ADDR,
      String(UDP_PORT),
      String(sources.length * count),
    ]);
    const out = collect(rx);
    await waitFor(out, /ready/, 5000);
    const tx = this.spawnIn(this.txNs, process.execPath, [
      "-e",
      SENDER,
      RX_ADDR,
      String(UDP_PORT),
      String(count),
      ...sources,
    ]);
    await exited(tx, 10000);
    await exited(rx, 10000);
    const got = JSON.parse(out.text.split("\n").find((l) => l.startsWith("{"))!) as Record<string, number>;
    return Object.fromEntries(sources.map((s) => [s, { sent: count, received: got[s] ?? 0 }]));
  }

  destroy(): void {
    for (const c of this.children) c.kill("SIGKILL");
    for (const ns of [this.rxNs, this.txNs]) {
      try {
        ip("netns", "del", ns);
      } catch {
        /* already gone */
      }
    }
  }
}

const RECEIVER = `
const dgram = require("node:dgram");
const [addr, port, expect] = process.argv.slice(1);
const s = dgram.createSocket("udp4"), counts = {};
let n = 0, quiet;
const done = () => { console.log(JSON.stringify(counts)); s.close(); };
const arm = (ms) => { clearTimeout(quiet); quiet = setTimeout(done, ms); };
s.on("message", (m, r) => { counts[r.address] = (counts[r.address] || 0) + 1; if (++n >= +expect) return arm(0); arm(1500); });
s.bind(+port, addr, () => { console.log("ready"); arm(5000); });
`;

const SENDER = `
const dgram = require("node:dgram");
const [dst, port, count, ...srcs] = process.argv.slice(1);
(async () => {
  for (const src of srcs) {
    const s = dgram.createSocket("udp4");
    await new Promise((r) => s.bind(0, src, r));
    for (let i = 0; i < +count; i++) {
      await new Promise((r) => s.send(Buffer.from("tsebpf " + i), +port, dst, r));
      await new Promise((r) => setTimeout(r, 2));
    }
    s.close();
  }
})();
`;

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function sh(ns: string, cmd: string, ...args: string[]): string {
  return execFileSync("ip", ["netns", "exec", ns, cmd, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export interface Collected {
  text: string;
  err: string;
  on(cb: () => void): void;
}

/** Accumulate a child's stdout/stderr. */
export function collect(c: ChildProcess): Collected {
  const listeners: (() => void)[] = [];
  const o: Collected = { text: "", err: "", on: (cb) => void listeners.push(cb) };
  c.stdout?.on("data", (d) => ((o.text += d), listeners.forEach((l) => l())));
  c.stderr?.on("data", (d) => ((o.err += d), listeners.forEach((l) => l())));
  c.on("exit", () => listeners.forEach((l) => l()));
  return o;
}

export function waitFor(o: Collected, re: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(
      () =>
        reject(
          new Error(
            `timed out after ${ms} ms waiting for ${re}; stdout: ${o.text.slice(-500)} stderr: ${o.err.slice(-500)}`,
          ),
        ),
      ms,
    );
    const check = () => {
      if (re.test(o.text)) clearTimeout(t), resolve();
    };
    o.on(check);
    check();
  });
}

export function exited(c: ChildProcess, ms: number): Promise<number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`process did not exit within ${ms} ms`)), ms);
    c.on("exit", (code) => (clearTimeout(t), resolve(code)));
  });
}
