// Public face of the ISA: the table, encoder, decoder and printer.
export { OP_TABLE, type OpEntry } from "./table.js";
export { findEntry, entryByName } from "./lookup.js";
export { encodeInsns, slotIndex, writeInsn, EncodeError } from "./encode.js";
export { decodeInsns } from "./decode.js";
export { printInsn, branchTarget, type PrintOptions } from "./print.js";
