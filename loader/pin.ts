// `run --pin DIR`: takes a loaded object and a directory, checks that the directory is (or will
// be, under its nearest existing ancestor) on a bpf filesystem, creates the missing directories
// one level at a time, and pins every program and map there under its own name. Names that
// could leave DIR (`/`, `.`, `..`) are refused; a failure removes what this call created.
import { existsSync, mkdirSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { LoaderError } from "./errors.js";
import type { LoadedObject } from "./object.js";
import { objPin } from "./sys/bpf.js";
import { fsMagic } from "./sys/libc.js";

export const BPF_FS_MAGIC = 0xcafe4a11;

export interface Pins {
  paths: string[];
  /** Unlink the pins and remove the directories this call created. */
  remove(): void;
}

export function pinAll(obj: LoadedObject, dir: string): Pins {
  const names = [...obj.programs.map((p) => p.name), ...obj.maps.map((m) => m.name)];
  for (const n of names) checkPinName(n);
  const created: string[] = [];
  const paths: string[] = [];
  const pins: Pins = {
    paths,
    remove() {
      for (const p of paths.splice(0).reverse()) tryRm(() => unlinkSync(p));
      for (const d of created.splice(0).reverse()) tryRm(() => rmdirSync(d));
    },
  };
  try {
    makeDirs(resolve(dir), created);
    for (const p of obj.programs) pinOne(p.fd, join(dir, p.name), paths);
    for (const m of obj.maps) pinOne(m.fd, join(dir, m.name), paths);
    return pins;
  } catch (e) {
    pins.remove();
    throw e;
  }
}

/** A program or map name usable as a file name directly inside the pin directory. */
export function checkPinName(name: string): void {
  const bad = !name
    ? "is empty"
    : name === "." || name === ".."
      ? "is a path component"
      : /[/\0]/.test(name)
        ? "contains '/' or NUL"
        : Buffer.byteLength(name) > 255
          ? "is longer than 255 bytes"
          : "";
  if (bad)
    throw new LoaderError(
      "pin",
      "--pin",
      `the object names a program or map '${name.replace(/\0/g, "\\0")}', which ${bad}: refusing to pin it`,
    );
}

function pinOne(fd: number, path: string, paths: string[]): void {
  objPin(fd, path);
  paths.push(path);
}

/** mkdir -p on a bpf filesystem, recording each directory it made (node's recursive mkdir loops forever on sysfs). */
function makeDirs(dir: string, created: string[]): void {
  const missing: string[] = [];
  let d = dir;
  while (!existsSync(d)) {
    missing.unshift(d);
    d = dirname(d);
  }
  if (!statSync(d).isDirectory()) throw new LoaderError("pin", `--pin ${dir}`, `${d} is not a directory`);
  if (fsMagic(d) !== BPF_FS_MAGIC)
    throw new LoaderError("pin", `--pin ${dir}`, "not a bpf filesystem (mount -t bpf bpf /sys/fs/bpf)");
  for (const m of missing) {
    mkdirSync(m);
    created.push(m);
  }
}

function tryRm(f: () => void): void {
  try {
    f();
  } catch {
    /* already gone */
  }
}
