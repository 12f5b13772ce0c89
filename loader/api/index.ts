// The package's runtime entry (`import { load } from "tsebpf"`): load a program, attach it, read
// and write its maps, run packets through it. types/index.d.ts gives `load<typeof Module>()` map
// handles typed from the DSL program's declarations.
export { load, BpfObject, type LoadOptions, type UntypedMaps } from "./object.js";
export { Program, Link, type TestRunResult } from "./program.js";
export { Logs, type LogEvent } from "./logs.js";
export { loadPinned, PinnedMaps } from "./pinned.js";
export { MapHandle, type PerCpuValues, type PerCpuBigints, type Big, type AnyKey, type AnyValue } from "./maps.js";
export type { RecordsOptions } from "./records.js";
export { LoaderError, type LoaderErrorCode } from "../errors.js";
export type { GlobalValue } from "../globals.js";
export type { GlobalInput } from "../global-write.js";
export type { PlainValue } from "../btf-values.js";
export { BpfError } from "../sys/errors.js";
export { VerifierError } from "../verifier.js";
export { ip } from "./ip.js";
