// `npm start`: the firewall demo. Creates two network namespaces joined by a veth pair, runs
// `tsebpf run <firewall> --block 198.51.100.3` on the receiving end, sends 20 UDP datagrams from
// 198.51.100.2 (allowed) and 20 from 198.51.100.3 (blocked), prints the program's logs and a
// per-source sent/received/dropped table, and removes everything, also on Ctrl-C or failure.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testbed, TX_ADDRS, RX_ADDR, collect, exited, waitFor } from "../loader/testbed.js";
import { defaultProgramBytes, packageRoot } from "../loader/input.js";

const COUNT = 20;
const BLOCKED = TX_ADDRS[1];

async function demo(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      "npm start: the demo creates network namespaces and attaches XDP programs: run it as root (sudo npm start)\n",
    );
    return 1;
  }
  const tb = new Testbed(`tsebpf-demo-${process.pid}`);
  const dir = mkdtempSync(join(tmpdir(), "tsebpf-demo-"));
  let interrupted = false;
  const cleanup = () => {
    tb.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    interrupted = true;
    process.stdout.write("\ninterrupted: removing the namespaces\n");
    cleanup();
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const { bytes, source } = await defaultProgramBytes("firewall", (n) => process.stdout.write(n + "\n"));
    const obj = join(dir, "firewall.o");
    writeFileSync(obj, bytes);
    tb.setUp();
    process.stdout.write(
      `namespaces ${tb.rxNs} (${RX_ADDR} on ${tb.rxIf}) and ${tb.txNs} (${TX_ADDRS.join(", ")} on ${tb.txIf})\n`,
    );
    process.stdout.write(`program: ${source}; blocking ${BLOCKED}\n\n`);
    const bin = join(packageRoot(), "bin", "tsebpf.js");
    const run = tb.spawnIn(tb.rxNs, process.execPath, [bin, "run", obj, "--iface", tb.rxIf, "--block", BLOCKED]);
    const out = collect(run);
    let shown = 0;
    out.on(() => {
      process.stdout.write(out.text.slice(shown));
      shown = out.text.length;
    });
    await waitFor(out, /Waiting for Ctrl-C/, 10000).catch((e) => {
      throw new Error(`tsebpf run did not start: ${out.err.trim() || (e as Error).message}`);
    });
    const counts = await tb.udpExchange(TX_ADDRS, COUNT);
    await new Promise((r) => setTimeout(r, 100));
    run.kill("SIGINT");
    await exited(run, 5000);
    if (out.err.trim()) process.stdout.write(out.err);
    process.stdout.write(
      `\n${"source".padEnd(16)}${"sent".padStart(6)}${"received".padStart(10)}${"dropped".padStart(9)}\n`,
    );
    for (const [src, c] of Object.entries(counts))
      process.stdout.write(
        `${src.padEnd(16)}${String(c.sent).padStart(6)}${String(c.received).padStart(10)}${String(c.sent - c.received).padStart(9)}${src === BLOCKED ? "  (blocked)" : ""}\n`,
      );
    const ok = counts[BLOCKED].received === 0 && counts[TX_ADDRS[0]].received === COUNT;
    process.stdout.write(ok ? "\nthe firewall dropped exactly the blocked source\n" : "\nunexpected counts\n");
    return ok ? 0 : 1;
  } catch (e) {
    if (!interrupted) process.stderr.write(`demo failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    cleanup();
  }
}

demo().then((code) => (process.exitCode = code));
