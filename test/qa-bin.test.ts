// QA regression for the npm bin script (bin/tsebpf): a missing or half-written dist/tsebpf.blob.node
// (e.g. while `npm run build` rewrites the snapshot) silently falls back to the plain CLI.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "tsebpf-qa-bin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("qa: bin/tsebpf", () => {
  it("no 'cannot open …blob.node' on stderr when the blob exists without its .node file", () => {
    mkdirSync(join(dir, "bin"));
    mkdirSync(join(dir, "dist"));
    copyFileSync(new URL("../bin/tsebpf", import.meta.url), join(dir, "bin", "tsebpf"));
    writeFileSync(join(dir, "bin", "tsebpf.js"), 'console.log("plain " + process.argv.slice(2).join(" "));\n');
    writeFileSync(join(dir, "dist", "tsebpf.blob"), "");
    const r = spawnSync("sh", [join(dir, "bin", "tsebpf"), "build", "x.s"], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("plain build x.s\n");
    expect(r.status).toBe(0);
  });
});
