// `run --pin DIR` and `load({ pin })`: takes a loaded object and a directory, checks that the
// directory is (or will be, under its nearest existing ancestor) on a bpf filesystem, creates the
// missing directories one level at a time, and pins every program and map there under its own
// name. Maps are pinned by name as libbpf does: a map already pinned there is reused when it
// matches the declaration (reusePinnedMap, called while loading), so its contents survive a
// restart; programs and the loader's own maps (a '.' or TSEBPF_ in the name) get a fresh pin.
// Names that could leave DIR (`/`, `.`, `..`) are refused; '.' becomes '_' in pin names (bpffs
// refuses dots, libbpf does the same); a failure removes what this call created.
import { existsSync, mkdirSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { MapDef } from "../compiler/object.js";
import { mapTypeName } from "../compiler/abi.js";
import { LoaderError } from "./errors.js";
import type { BpfMap } from "./map.js";
import { fdKind, mapInfo, objGet, objPin, type MapInfo } from "./sys/bpf.js";
import { closeFd, fsMagic } from "./sys/libc.js";

export const BPF_FS_MAGIC = 0xcafe4a11;

export interface Pins {
  paths: string[];
  /** Unlink the pins and remove the directories this call created. */
  remove(): void;
}

/** What pinAll pins: a loaded object's programs and maps (loader/object.ts). */
export interface Pinnable {
  programs: { name: string; fd: number }[];
  maps: BpfMap[];
}

export function pinAll(obj: Pinnable, dir: string): Pins {
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
    for (const p of obj.programs) pinOne(p.fd, join(dir, pinName(p.name)), paths, "prog");
    for (const m of obj.maps)
      if (!m.reused) pinOne(m.fd, join(dir, pinName(m.name)), paths, isReusable(m.def) ? undefined : "map");
    return pins;
  } catch (e) {
    pins.remove();
    throw e;
  }
}

/** The file name a program or map is pinned under: bpffs refuses '.' in names (EPERM), so it
 * becomes '_' as libbpf's sanitize_pin_path does (map globals.rodata → pin globals_rodata). */
export const pinName = (name: string): string => name.replace(/\./g, "_");

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

/** Pin `fd` at `path`; an old pin of the `replace` kind there (a previous run's program) is replaced. */
function pinOne(fd: number, path: string, paths: string[], replace?: "prog" | "map"): void {
  if (replace && existsSync(path) && pinnedKind(path) === replace) unlinkSync(path);
  objPin(fd, path);
  paths.push(path);
}

function pinnedKind(path: string): string {
  const fd = objGet(path);
  try {
    return fdKind(fd);
  } finally {
    closeFd(fd);
  }
}

/** Maps the program declares are reused; the loader's own (.rodata, the log ring) start afresh. */
export function isReusable(def: MapDef): boolean {
  return !def.name.includes(".") && !def.name.startsWith("TSEBPF_");
}

/**
 * The fd of the map pinned as `dir/<name>` when there is one and it matches `def` (type, key and
 * value size, max_entries, flags, as libbpf compares them); undefined when nothing is pinned there.
 * A pin that is not a map, or a map that differs, is a LoaderError naming the difference.
 */
export function reusePinnedMap(dir: string, def: MapDef): number | undefined {
  if (!isReusable(def)) return undefined;
  checkPinName(def.name);
  const path = join(dir, def.name);
  if (!existsSync(path)) return undefined;
  if (fsMagic(dir) !== BPF_FS_MAGIC)
    throw new LoaderError("pin", `--pin ${dir}`, "not a bpf filesystem (mount -t bpf bpf /sys/fs/bpf)");
  const fd = objGet(path);
  try {
    if (fdKind(fd) !== "map")
      throw new LoaderError("pin", `map ${def.name}`, `${path} is pinned but is not a map`, REMOVE_HINT(path));
    const diff = mapDifference(mapInfo(fd), def);
    if (diff)
      throw new LoaderError(
        "pin-mismatch",
        `map ${def.name}`,
        `the map pinned at ${path} does not match the program's declaration: ${diff}`,
        REMOVE_HINT(path),
      );
    return fd;
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}

const typeName = (t: number) => mapTypeName(t) ?? `type ${t}`;
const REMOVE_HINT = (path: string) => `remove the old pin (rm ${path}) to start with a new map, or pin elsewhere`;

/** "max_entries 1024 pinned, 2048 declared; …" or "" when the pinned map fits the declaration. */
export function mapDifference(info: MapInfo, def: MapDef): string {
  const pairs: [string, number | string, number | string][] = [
    ["type", typeName(info.type), typeName(def.type)],
    ["key size", info.keySize, def.keySize],
    ["value size", info.valueSize, def.valueSize],
    ["max_entries", info.maxEntries, def.maxEntries],
    ["flags", `0x${info.flags.toString(16)}`, `0x${def.flags.toString(16)}`],
  ];
  return pairs
    .filter(([, a, b]) => a !== b)
    .map(([what, a, b]) => `${what} ${a} pinned, ${b} declared`)
    .join("; ");
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
