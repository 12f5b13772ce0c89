// Chevrotain for the DSL front end, with everything start-up time and the CLI's start-up snapshot
// (scripts/build-snapshot.js) need from it in this one module: takes nothing, produces the loaded
// Chevrotain module, the lexer and parser configurations (validations skipped, lookahead built per
// decision on first use) and onFirstUse, which builds the lexer and parsers on first parse instead of
// at import (the snapshot's warm-up builds them into its heap).
// Chevrotain is loaded from its single-file bundle (≈10 ms) instead of its many-module entry
// (≈250 ms), through a URL computed with import.meta.resolve; build-snapshot.js bundles that file
// (its EXTRA) and rewrites the import() of the computed URL and import.meta for its module loader.
import type * as Chev from "chevrotain";

export type Chevrotain = typeof Chev;

async function loadChevrotain(): Promise<Chevrotain> {
  try {
    const url = new URL("../chevrotain.min.mjs", import.meta.resolve("chevrotain"));
    return (await import(url.href)) as Chevrotain;
  } catch {
    return await import("chevrotain");
  }
}

export const chevrotain: Chevrotain = await loadChevrotain();

/** A value built on its first use, then kept for the process. */
export function onFirstUse<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

// ---- lexer

const LINE_TERMINATORS = {
  lineTerminatorsPattern: /\n|\r\n?|\u2028|\u2029/g,
  lineTerminatorCharacters: ["\n", "\r", "\u2028", "\u2029"],
};

/** The process lexer's configuration: no validations, and no analysis of the token patterns for
 * first-character optimisations (every token gives start_chars_hint; see lexer.ts). `validated`:
 * Chevrotain's checks on, the reference the tests compare against. */
export function lexerConfig(validated: boolean): Chev.ILexerConfig {
  const fast = { ensureOptimizations: false, skipValidations: true };
  return { positionTracking: "full", ...(validated ? { safeMode: true } : fast), ...LINE_TERMINATORS };
}

// ---- parser

type LaFunc = (this: unknown, ...args: unknown[]) => unknown;
type Strategy = Chev.ILookaheadStrategy;
type AltOpts = Parameters<Strategy["buildLookaheadForAlternation"]>[0];
type OptOpts = Parameters<Strategy["buildLookaheadForOptional"]>[0];
/** Chevrotain's default strategy: exported at run time, not declared in its .d.ts. */
const LLk = (chevrotain as unknown as { LLkLookaheadStrategy: new (o: { maxLookahead: number }) => Strategy })
  .LLkLookaheadStrategy;

/** LL(k) lookahead computed per decision on first use instead of all at start-up (a program
 * reaches a fraction of the grammar's decisions; this cuts the parser's build time by a third). */
class LazyLookahead implements Strategy {
  private llk: Strategy;
  constructor(maxLookahead: number) {
    this.llk = new LLk({ maxLookahead });
  }
  validate(o: Parameters<Strategy["validate"]>[0]) {
    return this.llk.validate(o);
  }
  buildLookaheadForAlternation(o: AltOpts) {
    type Built = ReturnType<Strategy["buildLookaheadForAlternation"]>;
    return lazy(() => this.llk.buildLookaheadForAlternation(o) as LaFunc) as Built;
  }
  buildLookaheadForOptional(o: OptOpts) {
    type Built = ReturnType<Strategy["buildLookaheadForOptional"]>;
    return lazy(() => this.llk.buildLookaheadForOptional(o) as LaFunc) as Built;
  }
}

function lazy(build: () => LaFunc): LaFunc {
  let f: LaFunc | undefined;
  return function (this: unknown, ...args: unknown[]) {
    return (f ??= build()).apply(this, args);
  };
}

/** A parser's configuration: `validate` runs Chevrotain's grammar validations (and builds all
 * lookahead up front); without it, both are skipped (the process parsers). */
export function parserConfig(validate: boolean, recover: boolean, maxLookahead: number): Chev.IParserConfig {
  return {
    recoveryEnabled: recover,
    maxLookahead,
    nodeLocationTracking: "full",
    skipValidations: !validate,
    ...(validate ? {} : { lookaheadStrategy: new LazyLookahead(maxLookahead) }),
  };
}
