// Reading a file the user named: takes a path, produces its bytes. A failure is node's own
// file-system error with `path` set (reading a directory reports EISDIR without one), so the CLI
// names the file whatever the error.
import { readFileSync } from "node:fs";

export function readUserFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    err.path ??= file;
    throw err;
  }
}
