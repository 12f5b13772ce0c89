// The library API's loaded object: takes a program (a .ts or .s source, a .o file, or object
// bytes), loads it into the kernel and gives its programs, typed map handles, and close() (also
// `using`), which detaches what it attached and closes every fd; globals() reads and setGlobals()
// writes its global variables. With `pin`, programs and maps are pinned under that bpffs
// directory (the pins stay after close).
import { LoaderError } from "../errors.js";
import { programBytes } from "../input.js";
import { loadObject, type LoadedObject } from "../object.js";
import { pinAll } from "../pin.js";
import { objectBtf } from "../map-codec.js";
import { MapHandle, type AnyKey, type AnyValue } from "./maps.js";
import { Program, type Link } from "./program.js";
import { Logs } from "./logs.js";
import { pumpObjectLogs } from "../log-pump.js";
import type { GlobalValue } from "../globals.js";
import { decodeBtfValue, type PlainValue } from "../btf-values.js";
import { writeGlobals, type GlobalInput } from "../global-write.js";

export interface LoadOptions {
  /**
   * Pin every program and map under this directory on a bpf filesystem (e.g. /sys/fs/bpf/fw). A map
   * already pinned there under its name is reused when it matches (type, key and value size,
   * max_entries, flags), so its contents survive a restart; one that differs is a LoaderError.
   */
  pin?: string;
  /** Called with notes such as "the kernel rejected the object's BTF; loading without it". */
  verbose?: (note: string) => void;
  /**
   * Global variables set before loading: `const volatile` ones in .rodata (frozen
   * after, so the verifier prunes what they turn off), .data/.bss ones get a new initial value. Integers (checked against the variable's BTF type) or exact bytes.
   */
  set?: Readonly<Record<string, GlobalValue>>;
}

/** Map handles by name when the program's declarations are not known: any key, any value. */
export type UntypedMaps = Record<string, MapHandle<AnyKey, unknown, AnyValue>>;

/** Each BpfObject's LoadedObject, for loadedObjectOf (a module-private map: not on the object, not in the API). */
const loadedObjects = new WeakMap<object, LoadedObject>();

/**
 * Internal (not exported by the package entry, loader/api/index.ts): the loaded object a BpfObject
 * wraps — its model, program and map fds — for tools inside the project that pair it with the raw
 * loader, e.g. the tests' VM twin (test/helpers/twin.ts).
 */
export function loadedObjectOf(o: BpfObject<unknown>): LoadedObject {
  const l = loadedObjects.get(o);
  if (!l) throw new Error("internal: not a BpfObject made by load()");
  return l;
}

export class BpfObject<Maps = UntypedMaps> implements Disposable {
  readonly maps: Maps;
  /** The program's log records (info(), warn(), … in the DSL): `logs.on("record", r => …)` or `logs.print()`. */
  readonly logs: Logs;
  private closed = false;
  private readonly links = new Set<Link>();

  constructor(private readonly obj: LoadedObject) {
    loadedObjects.set(this, obj);
    const btf = objectBtf(obj.model.btf);
    const alive = () => this.alive();
    this.maps = Object.fromEntries(obj.maps.map((m) => [m.name, new MapHandle(m, btf, alive)])) as Maps;
    this.logs = new Logs((sinks) => (this.alive(), pumpObjectLogs(obj, 5, sinks)));
  }

  /** Program names, in object order. */
  get programs(): string[] {
    return this.obj.programs.map((p) => p.name);
  }

  /**
   * The global variables now (.rodata, .data, .bss…: libbpf's skeleton `bss->packets`), by name,
   * decoded by their BTF type: integers as numbers (bigints beyond 2^53), arrays, structs; a
   * variable the object's BTF does not describe is absent. A fresh read each call.
   */
  globals(): Record<string, PlainValue> {
    this.alive();
    const btf = objectBtf(this.obj.model.btf);
    const out: Record<string, PlainValue> = {};
    for (const m of this.obj.maps) {
      const value = m.def.global && btf && m.def.btfValueTypeId ? m.get(new Uint8Array(4)) : undefined;
      if (value) Object.assign(out, decodeBtfValue(btf!, m.def.btfValueTypeId!, value));
    }
    return out;
  }

  /**
   * Write global variables now, while the program runs (libbpf's skeleton `bss->limit = 5`), by
   * name: .data and .bss variables, each value as globals() gives it back (integers also as
   * bigints, structs as plain objects, arrays) or its exact bytes. Every value is checked first;
   * a wrong name or value is a LoaderError "bad-global" naming the variable and field, and a
   * .rodata variable is frozen once loaded (set it with load()'s `set`).
   */
  setGlobals(values: Readonly<Record<string, GlobalInput>>): void {
    this.alive();
    writeGlobals(this.obj.maps, objectBtf(this.obj.model.btf), values);
  }

  /** The program `name` (default: the first). */
  program(name?: string): Program {
    this.alive();
    const p = this.obj.program(name);
    return new Program(p.name, () => (this.alive(), p.fd), this.links);
  }

  /** Detach every link made through this object (pinned links stay) and close its fds; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.logs.stop();
    for (const l of this.links) l[Symbol.dispose]();
    this.obj.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private alive(): void {
    if (this.closed) throw new LoaderError("closed", "", "the object was closed");
  }
}

/** Load a program: a path (.ts, .s, .o) or the bytes of an ELF object. */
export async function load(src: string | Uint8Array, opts: LoadOptions = {}): Promise<BpfObject> {
  const bytes = typeof src === "string" ? await programBytes(src) : src;
  const source = typeof src === "string" ? src : undefined;
  const obj = loadObject(bytes, { verbose: opts.verbose, source, pin: opts.pin, set: opts.set });
  try {
    if (opts.pin) pinAll(obj, opts.pin);
    return new BpfObject(obj);
  } catch (e) {
    obj.close();
    throw e;
  }
}
