import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Self-signed certificate for the HTTPS stand-ins (Azure), trusted via NODE_EXTRA_CA_CERTS.
    globalSetup: ['test/support/tls-global-setup.ts'],
  },
});
