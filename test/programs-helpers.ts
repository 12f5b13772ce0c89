// Moved to test/helpers/packets.ts; kept for the tests that still import it from here.
export * from "./helpers/packets.js";
