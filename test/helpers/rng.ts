// mulberry32 (the VM's generator): a small deterministic random source for the fuzz and
// differential tests, as floats in [0, 1).
import { mulberry32 } from "../../loader/vm/random.js";

export function rng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}
