// The package's types (`import … from "tsebpf"`): the DSL declarations programs are checked
// against (tsebpf.d.ts) and the library API (built from loader/api/), whose load<typeof Module>()
// types a program's map handles from the program's own declarations: a DSL type as user space
// reads it (Out: structs as plain objects, FixedArray as arrays, Ipv6Addr as address text) and
// writes it (In: integers also as bigints).
import type * as D from "./tsebpf.js";
import type {
  BpfObject,
  LoadOptions,
  MapHandle,
  PerCpuValues,
  PinnedMaps,
  Program,
  UntypedMaps,
} from "../dist/loader/api/index.js";

export * from "./tsebpf.js";
export * from "../dist/loader/api/index.js";

/** A DSL key, value or record type as the handles give it back. */
export type Out<T> = T extends number
  ? number
  : T extends boolean
    ? boolean
    : T extends D.Ipv6Addr
      ? string
      : T extends readonly (infer E)[]
        ? Out<E>[]
        : T extends object
          ? { [F in keyof T]: Out<T[F]> }
          : T;

/** A DSL value type as set() takes it: integers as numbers or bigints, every field present. */
export type In<T> = T extends number
  ? number | bigint
  : T extends boolean
    ? boolean
    : T extends D.Ipv6Addr
      ? string
      : T extends readonly (infer E)[]
        ? readonly In<E>[]
        : T extends object
          ? { readonly [F in keyof T]: In<T[F]> }
          : T;

type Plain<K, V> = MapHandle<Out<K>, Out<V>, In<V>>;
type PerCpu<K, V> = MapHandle<Out<K>, PerCpuValues<Out<V>>, In<V> | readonly In<V>[]>;

/** A ring buffer's handle: no keys or values; records() gives its records as the program declares them. */
type Ring<R> = MapHandle<never, never, never, Out<R>>;

/** The user-space handle of one map declaration. Devmaps take an interface (name or ifindex) and
 * give its ifindex; cpumaps a queue size; xskmaps an AF_XDP socket's fd; prog arrays a program
 * (obj.program(name)) and give its kernel id. */
export type HandleOf<T> =
  T extends D.PerCpuHashMap<infer K, infer V> ? PerCpu<K, V>
  : T extends D.PerCpuArray<infer K, infer V> ? PerCpu<K, V>
  : T extends D.LpmTrie<infer _K, infer V> ? Plain<string, V>
  : T extends D.HashMap<infer K, infer V> ? Plain<K, V>
  : T extends D.LruHashMap<infer K, infer V> ? Plain<K, V>
  : T extends D.ArrayMap<infer K, infer V> ? Plain<K, V>
  : T extends D.RingBuf<infer R> ? Ring<R>
  : T extends D.DevMap ? MapHandle<number, number, number | string>
  : T extends D.DevMapHash ? MapHandle<number, number, number | string>
  : T extends D.CpuMap ? MapHandle<number, number, number>
  : T extends D.XskMap ? MapHandle<number, number, number>
  : T extends D.ProgArray ? MapHandle<number, number, Program>
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
