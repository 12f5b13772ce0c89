// Shared timing helpers for the bench scripts: whole-process wall time, medians, ratios.
import { spawnSync } from "node:child_process";

export function timeProcess(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return ms;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Run each command `runs` times, interleaved, and return their medians in ms. */
export function compare(commands, runs = 7) {
  const times = commands.map(() => []);
  for (let i = 0; i < runs; i++) commands.forEach((c, j) => times[j].push(timeProcess(c.cmd, c.args, c.opts)));
  return times.map(median);
}

export function row(cols, widths) {
  return cols.map((c, i) => String(c).padEnd(widths[i] ?? 12)).join(" ");
}
