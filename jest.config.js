/** Jest runs the TypeScript tests without type-checking them: `tsc --noEmit` does that once for the whole project. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  setupFilesAfterEnv: ["<rootDir>/__tests__/support/setup.ts"],
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  testTimeout: 300000,
};
