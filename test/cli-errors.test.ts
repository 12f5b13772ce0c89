// The CLI's one error mapping (cli/errors.ts): every error class the user can act on becomes one
// `tsebpf: error:` line — loader errors with their hint, malformed objects with the file and
// offset, file-system errors with the path (also EISDIR, which node reports without one) — and
// anything else is an internal error.
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError, InFile, errorLine, reportError } from "../cli/errors.js";
import { LoaderError } from "../loader/errors.js";
import { BpfError, HINT } from "../loader/sys/errors.js";
import { ElfFormatError } from "../compiler/elf/bytes.js";
import { readUserFile } from "../loader/files.js";
import type { Io } from "../cli/io.js";

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("did not throw");
}

describe("cli/errors.ts errorLine", () => {
  it("prints a loader error as context: reason, then its hint", () => {
    const e = new LoaderError("no-program", "x.o", "no program named 'p'", "see objdump");
    expect([e.code, e.context, e.reason, e.hint]).toEqual(["no-program", "x.o", "no program named 'p'", "see objdump"]);
    expect(errorLine(e)).toBe("x.o: no program named 'p'\n  hint: see objdump");
  });

  it("a refused system call is a LoaderError whose code is the errno name", () => {
    const e = new BpfError("creating map 'M'", 1, HINT.perm);
    expect(e).toBeInstanceOf(LoaderError);
    expect(e.code).toBe("EPERM");
    expect(errorLine(e)).toBe(`creating map 'M': operation not permitted (EPERM)\n  hint: ${HINT.perm}`);
  });

  it("names the file of a malformed object and the offset", () => {
    expect(errorLine(new InFile("a.o", new ElfFormatError("not an ELF file (bad magic)", 0)))).toBe(
      "a.o: not an ELF file (bad magic) at offset 0x0",
    );
  });

  it("maps file-system errors to the path, also a directory read (EISDIR has no path from node)", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsebpf-errors-"));
    try {
      expect(errorLine(thrown(() => readUserFile(dir)))).toBe(`${dir}: is a directory`);
      expect(errorLine(thrown(() => readUserFile(join(dir, "nope.o"))))).toBe(
        `${join(dir, "nope.o")}: no such file or directory`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves other errors to the internal-error path (exit 70, no stack unless TSEBPF_DEBUG)", async () => {
    expect(errorLine(new TypeError("x is undefined"))).toBeUndefined();
    let err = "";
    const io: Io = { stdout: () => {}, stderr: (s) => void (err += s), isTTY: false, env: {}, cwd: "/" };
    expect(await reportError(new InFile("a.o", new TypeError("boom")), io)).toBe(70);
    expect(err).toBe("tsebpf: internal error: boom\n");
    expect(await reportError(new CliError("bad flag", 2), io)).toBe(2);
  });
});
