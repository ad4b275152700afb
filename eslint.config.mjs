// Lint rules from STYLE.md: no floating promises, eqeqeq, curly, no `any` casts,
// no console in the extension, child_process only in the process wrappers.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "dist-vsix/**",
      "agent/dist/**",
      "media/**",
      "node_modules/**",
      "agent/node_modules/**",
      ".vscode-test/**",
      "test-results/**",
      ".demo/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ["*.mjs", "test/vscode/*.cjs"],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test's describe/it/test return promises the runner itself awaits.
          allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"] }],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unsafe-type-assertion": "off",
      "@typescript-eslint/consistent-type-assertions": ["error", { assertionStyle: "as", objectLiteralTypeAssertions: "allow" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always"],
      curly: ["error", "all"],
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "child_process", message: "Run processes through the process wrapper (agent/src/exec.ts)." },
            { name: "node:child_process", message: "Run processes through the process wrapper (agent/src/exec.ts)." },
          ],
        },
      ],
    },
  },
  {
    // Plain JS build/CI scripts are not type-checked.
    files: ["**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Domain code never imports vscode; the extension never logs to the console.
    files: ["src/**/*.ts"],
    ignores: ["src/vscode/**", "src/extension.ts", "src/webview/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "vscode", message: "Domain code must not import vscode; adapt it in src/vscode/." },
            { name: "child_process", message: "Run processes through the process wrapper (agent/src/exec.ts)." },
            { name: "node:child_process", message: "Run processes through the process wrapper (agent/src/exec.ts)." },
          ],
        },
      ],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli.ts", "src/cli/**"],
    rules: { "no-console": "error" },
  },
  {
    // The single places allowed to spawn processes: the agent's exec wrapper and the test/bench process helpers.
    files: ["agent/src/exec.ts", "test/**/*.ts", "agent/test/**/*.ts", "bench/**/*.ts", "scripts/**/*.ts", "scripts/**/*.mts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    files: ["src/webview/**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: false, project: ["src/webview/tsconfig.json"], tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.browser },
    },
  },
);
