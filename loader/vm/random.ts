// mulberry32: the small seeded generator behind the VM's bpf_get_prandom_u32 (and the tests'
// rng). Takes a seed; produces a function returning the next unsigned 32-bit value.
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
