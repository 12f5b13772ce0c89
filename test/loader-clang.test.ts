// clang-built objects (fixtures/c, built by fixtures/c/rebuild.sh) load through our ELF reader
// and loader: maps from BTF `.maps` and legacy `maps`, .text subprograms, func/line info.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { haveKernel } from "./helpers/env.js";
import { testRunChecked } from "./helpers/twin.js";
import { loadObject } from "../loader/object.js";
import { xdpActionName } from "../loader/test-run.js";

const dir = new URL("../fixtures/c/", import.meta.url).pathname;
const objects = readdirSync(dir)
  .filter((f) => f.endsWith(".o"))
  .sort();

describe.skipIf(!haveKernel)("clang-built objects load", () => {
  it("finds the fixtures", () => expect(objects.length).toBeGreaterThanOrEqual(5));
  for (const f of objects) {
    // BTF-defined maps need .BTF, which clang only writes with -g (libbpf rejects these too).
    if (/^firewall\.clang\d+\.o$/.test(f)) {
      it(`${f} (no -g: .maps without BTF) is refused with a clear reason`, () => {
        expect(() => loadObject(readFileSync(dir + f))).toThrow(/\.maps without \.BTF at offset 0x[0-9a-f]+/);
      });
      continue;
    }
    it(f, () => {
      const notes: string[] = [];
      const obj = loadObject(readFileSync(dir + f), { verbose: (n) => notes.push(n) });
      try {
        expect(obj.programs.length).toBeGreaterThan(0);
        expect(notes.join("\n")).toBe(""); // BTF and func/line info accepted
        const r = testRunChecked(obj, new Uint8Array(64));
        expect(xdpActionName(r.retval)).toMatch(/^XDP_/);
      } finally {
        obj.close();
      }
    });
  }
});
