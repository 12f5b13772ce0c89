import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Kernel tests attach XDP programs and create namespaces: keep files serial per worker.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
