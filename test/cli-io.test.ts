// The CLI's process IO (cli/io.ts): stdout to a file or /dev/null is written straight through fd 1,
// to a pipe through a non-blocking descriptor of it, to a socket (node's spawn) through
// process.stdout — the same bytes every way, stderr made on first use; a closed pipe (EPIPE) is
// still quiet. Runs the built CLI.
import { describe, expect, it } from "vitest";
import { closeSync, openSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { BIN } from "./helpers/cli.js";
import { requireFreshDist } from "./helpers/dist.js";
import { withTempDir } from "./helpers/tmp.js";

const OBJ = "fixtures/c/globals.clang19-g.o";

/** `tsebpf args` with stdout and stderr to files; returns what each got and the exit code. */
function toFiles(dir: string, ...args: string[]): { out: string; err: string; code: number | null } {
  const [o, e] = [join(dir, "out"), join(dir, "err")];
  const fds = [openSync(o, "w"), openSync(e, "w")];
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ["ignore", ...fds] });
    return { out: readFileSync(o, "utf8"), err: readFileSync(e, "utf8"), code: r.status };
  } finally {
    fds.forEach(closeSync);
  }
}

describe("process IO", () => {
  requireFreshDist();
  it("stdout and stderr to files hold what a pipe gets", () => {
    const piped = spawnSync(process.execPath, [BIN, "objdump", OBJ], { encoding: "utf8" });
    const bad = spawnSync(process.execPath, [BIN, "objdump", "nope.o"], { encoding: "utf8" });
    withTempDir("tsebpf-io-", (dir) => {
      expect(toFiles(dir, "objdump", OBJ)).toEqual({ out: piped.stdout, err: "", code: 0 });
      expect(piped.stdout.split("\n").length).toBeGreaterThan(30);
      expect(toFiles(dir, "objdump", "nope.o")).toEqual({ out: "", err: bad.stderr, code: bad.status });
      expect(bad.stderr).toMatch(/nope\.o/);
    });
  });

  it("stdout to a pipe (sh's |) holds what a file gets", () => {
    withTempDir("tsebpf-io-", (dir) => {
      const r = spawnSync("sh", ["-c", `"${process.execPath}" "${BIN}" objdump ${OBJ} | cat`], { encoding: "utf8" });
      expect(r.stdout).toBe(toFiles(dir, "objdump", OBJ).out);
      expect(r.stdout.split("\n").length).toBeGreaterThan(30);
    });
  });

  it("stdout to /dev/null, and to a pipe closed early, exit 0 quietly", () => {
    const nul = spawnSync(process.execPath, [BIN, "objdump", OBJ], { stdio: ["ignore", "ignore", "pipe"] });
    expect([nul.status, String(nul.stderr)]).toEqual([0, ""]);
    const r = spawnSync(
      "bash",
      ["-c", `"${process.execPath}" "${BIN}" objdump ${OBJ} | head -c 1 >/dev/null; echo \${PIPESTATUS[0]}`],
      {
        encoding: "utf8",
      },
    );
    expect([r.stdout.trim(), r.stderr]).toEqual(["0", ""]);
  });
});
