import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers on 127.0.0.1; two cores, so keep workers modest.
    pool: 'forks',
    maxWorkers: 2,
    // Test files share each worker's module cache instead of re-importing the SDKs per file (import time
    // 13 s to 4 s). Tests keep no module-level state between files: each starts its own servers and fakes.
    isolate: false,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // The official credential chain would otherwise probe the ECS metadata address.
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    },
  },
});
