// loadPinned(dir): the maps another process pinned under a bpffs directory (`load({ pin })`,
// `tsebpf run --pin`), opened by name as map handles. Key and value types come from the BTF the
// maps were created with (read back from the kernel), so the handles decode as load()'s do.
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ParsedBtf } from "../../compiler/elf/btf.js";
import type { LoadedMap } from "../../compiler/object.js";
import { LoaderError } from "../errors.js";
import { BpfMap } from "../map.js";
import { objectBtf } from "../map-codec.js";
import { checkBpffs } from "../pinned-link.js";
import { btfById, fdById, fdKind, mapInfo, objGet } from "../sys/bpf.js";
import { closeFd } from "../sys/libc.js";
import { MapHandle } from "./maps.js";
import type { UntypedMaps } from "./object.js";

/** Maps opened from a pin directory; close() (or `using`) closes their fds, the pins stay. */
export class PinnedMaps<Maps = UntypedMaps> implements Disposable {
  readonly maps: Maps;
  private closed = false;

  constructor(private readonly opened: BpfMap[]) {
    const btfs = new Map<number, ParsedBtf | undefined>();
    const alive = () => {
      if (this.closed) throw new LoaderError("closed", "", "the pinned maps were closed");
    };
    this.maps = Object.fromEntries(
      opened.map((m) => [m.name, new MapHandle(m, btfOf(mapInfo(m.fd).btfId, btfs), alive)]),
    ) as Maps;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const m of this.opened) closeFd(m.fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Open every map pinned directly under `dir` (programs and links there are skipped). */
export function loadPinned(dir: string): PinnedMaps {
  checkBpffs(dir, `opening the maps pinned in ${dir}`);
  const maps: BpfMap[] = [];
  try {
    for (const name of readdirSync(dir).sort()) {
      const fd = objGet(join(dir, name));
      if (fdKind(fd) === "map") maps.push(new BpfMap(fd, pinnedDef(fd, name), true));
      else closeFd(fd);
    }
  } catch (e) {
    for (const m of maps) closeFd(m.fd);
    throw e;
  }
  return new PinnedMaps(maps);
}

/** The map pinned at `path` with the BTF it was created with (tsebpf map …); close its fd when done. */
export function openPinnedMap(path: string): { map: BpfMap; btf?: ParsedBtf } {
  checkBpffs(dirname(path), `opening the map pinned at ${path}`);
  const fd = objGet(path);
  if (fdKind(fd) !== "map") {
    closeFd(fd);
    throw new LoaderError("pin", path, "is pinned but is not a map");
  }
  return withBtf(new BpfMap(fd, pinnedDef(fd, basename(path)), true));
}

/** The map with kernel id `id` (as `prog list` shows), named as the kernel names it; close its fd when done. */
export function openMapById(id: number): { map: BpfMap; btf?: ParsedBtf } {
  const fd = fdById("map", id);
  if (fd === undefined) throw new LoaderError("no-map", `id:${id}`, "no map with this id");
  return withBtf(new BpfMap(fd, pinnedDef(fd, mapInfo(fd).name), true));
}

function withBtf(map: BpfMap): { map: BpfMap; btf?: ParsedBtf } {
  return { map, btf: btfOf(mapInfo(map.fd).btfId, new Map()) };
}

function pinnedDef(fd: number, name: string): LoadedMap {
  const i = mapInfo(fd);
  const btf = i.btfId ? { btfKeyTypeId: i.btfKeyTypeId, btfValueTypeId: i.btfValueTypeId } : {};
  return {
    name,
    type: i.type,
    keySize: i.keySize,
    valueSize: i.valueSize,
    maxEntries: i.maxEntries,
    flags: i.flags,
    ...btf,
  };
}

function btfOf(id: number, cache: Map<number, ParsedBtf | undefined>): ParsedBtf | undefined {
  if (!id) return undefined;
  if (!cache.has(id)) cache.set(id, objectBtf(btfById(id)));
  return cache.get(id);
}
