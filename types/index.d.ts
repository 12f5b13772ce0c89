// The package's types (`import … from "tsebpf"`): the DSL declarations programs are checked
// against (tsebpf.d.ts) and the library API (built from loader/api/), whose load<typeof Module>()
// types a program's map handles from the program's own declarations.
import type * as D from "./tsebpf.js";
import type { BpfObject, LoadOptions, MapHandle, PerCpuValues, PinnedMaps, UntypedMaps } from "../dist/loader/api/index.js";

export * from "./tsebpf.js";
export * from "../dist/loader/api/index.js";

type Plain<K, V> = MapHandle<K, V, V | bigint>;
type PerCpu<K> = MapHandle<K, PerCpuValues, number | bigint | readonly number[]>;

/** A ring buffer's handle: no keys or values; records() gives its records as the program declares them. */
type Ring<R> = MapHandle<never, never, never, R>;

/** The user-space handle of one map declaration. */
export type HandleOf<T> =
  T extends D.PerCpuHashMap<infer K, infer _V> ? PerCpu<K>
  : T extends D.PerCpuArray<infer K, infer _V> ? PerCpu<K>
  : T extends D.LpmTrie<infer _K, infer V> ? Plain<string, V>
  : T extends D.HashMap<infer K, infer V> ? Plain<K, V>
  : T extends D.LruHashMap<infer K, infer V> ? Plain<K, V>
  : T extends D.ArrayMap<infer K, infer V> ? Plain<K, V>
  : T extends D.RingBuf<infer R> ? Ring<R>
  : never;

/** A program module's map declarations as handles, by name. */
export type MapsOf<M> = { [N in keyof M as [HandleOf<M[N]>] extends [never] ? never : N]: HandleOf<M[N]> };

/**
 * Load a program (.ts or .s source, .o file, or object bytes). With `load<typeof Module>()` the
 * map handles take and give the types the program declares; without it any key and value.
 */
export declare function load<M = undefined>(src: string | Uint8Array, opts?: LoadOptions): Promise<BpfObject<M extends undefined ? UntypedMaps : MapsOf<M>>>;

/**
 * Open the maps another process pinned under `dir` (`load(…, { pin: dir })`, `tsebpf run --pin dir`).
 * With `loadPinned<typeof Module>()` the handles are typed as load()'s.
 */
export declare function loadPinned<M = undefined>(dir: string): PinnedMaps<M extends undefined ? UntypedMaps : MapsOf<M>>;
