// The Aya book's firewall, user-space side, in TypeScript: loads programs/firewall.ts, attaches
// it, keeps its BLOCKLIST equal to a blocklist file (one IPv4 address a line, `#` comments; the
// file is re-read when it changes), prints per-source drop counts every second (counted from the
// firewall's own log records, `SRC: …, ACTION: 1`), and detaches on Ctrl-C or SIGTERM.
//
//   npm run build        # compiles this file to dist/examples/firewall-daemon.js
//   sudo node dist/examples/firewall-daemon.js --iface eth0 --blocklist blocklist.txt [--mode skb]
//
// BLOCKLIST is a hash map of addresses (u32, host order), so a CIDR line other than /32 is refused
// with a message and skipped (programs/cidr.ts's LPM trie is the one that takes prefixes).
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { parseArgs } from "node:util";
import { ip, load, type LogEvent } from "tsebpf";
import type * as Firewall from "../programs/firewall.js";

const XDP_DROP = 1;
const PROGRAM = new URL("../../programs/firewall.ts", import.meta.url).pathname; // from dist/examples/

/** The addresses a blocklist file names, by address text; bad lines are reported and skipped. */
function parseBlocklist(text: string, warn: (line: string) => void): Map<string, number> {
  const wanted = new Map<string, number>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) return;
    const [addr, prefix] = line.split("/");
    if (prefix !== undefined && prefix !== "32")
      return warn(`line ${i + 1}: '${line}': BLOCKLIST holds single addresses (a u32 hash map); CIDRs need an LPM trie (programs/cidr.ts)`);
    const v = /^[\d.]+$/.test(addr!) ? tryIp(addr!) : undefined;
    if (typeof v === "number") wanted.set(addr!, v);
    else warn(`line ${i + 1}: '${line}' is not an IPv4 address`);
  });
  return wanted;
}

function tryIp(text: string): number | Uint8Array | undefined {
  try {
    return ip(text);
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: { iface: { type: "string" }, blocklist: { type: "string" }, mode: { type: "string" } },
  });
  if (!o.iface || !o.blocklist) throw new Error("usage: firewall-daemon --iface IFACE --blocklist FILE [--mode skb|drv|hw]");
  const file = o.blocklist;
  const fw = await load<typeof Firewall>(PROGRAM);
  const link = fw.program("xdp_firewall").attach(o.iface, { mode: o.mode as "skb" | undefined });
  const say = (s: string) => console.log(`[${new Date().toISOString().slice(0, 19)}Z] ${s}`);

  const apply = () => {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      return say(`cannot read ${file}: ${(e as Error).message}; keeping the blocklist as it is`);
    }
    const wanted = parseBlocklist(text, (w) => say(`${file}: ${w}`));
    const addrs = new Set(wanted.values());
    const gone = [...fw.maps.BLOCKLIST.keys()].filter((k) => !addrs.has(k));
    for (const k of gone) fw.maps.BLOCKLIST.delete(k);
    fw.maps.BLOCKLIST.setMany([...addrs].map((a) => [a, 1] as const));
    say(`blocklist: ${[...wanted.keys()].join(", ") || "(empty)"}${gone.length ? ` (${gone.length} removed)` : ""}`);
  };

  const drops = new Map<string, number>();
  const count = (r: LogEvent) => {
    const m = /^SRC: (\S+), ACTION: (\d+)$/.exec(r.message);
    if (m && Number(m[2]) === XDP_DROP) drops.set(m[1]!, (drops.get(m[1]!) ?? 0) + 1);
  };
  fw.logs.on("record", count).on("warning", (w) => say(`warning: ${w}; drop counts are low`));

  apply();
  watchFile(file, { interval: 200 }, apply);
  const report = setInterval(() => {
    const line = [...drops].map(([src, n]) => `${src}=${n}`).join(" ");
    if (line) say(`drops: ${line}`);
  }, 1000);
  say(`attached xdp_firewall to ${o.iface} (program id ${link.programId}); Ctrl-C to stop`);

  await new Promise<void>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  clearInterval(report);
  unwatchFile(file);
  fw.close(); // detaches
  say("detached");
}

main().catch((e) => {
  console.error(`firewall-daemon: ${(e as Error).message}`);
  process.exit(1);
});
