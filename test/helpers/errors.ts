// Catching the loader's errors in tests: the LoaderError a call throws (any other error is
// rethrown; a call that returns fails the test).
import { LoaderError } from "../../loader/errors.js";

export function caught(f: () => unknown): LoaderError {
  try {
    f();
  } catch (e) {
    if (e instanceof LoaderError) return e;
    throw e;
  }
  throw new Error("did not throw");
}
