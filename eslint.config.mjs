// @ts-check
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

/**
 * The engine's layers, lowest first: a folder of src/core may import the ones before it, never
 * the ones after it (`rules/types` is the contract every layer from `edit` up may read).
 * `engine`, `findings`, `workspace`, `fix-run` and `report` sit on top; the adapters (cli, extension,
 * webview) use the engine, which never uses them.
 */
const ADAPTERS = ['**/extension/**', '**/cli/**', '**/webview/**'];
const TOP = '^(\\.\\./)+(engine|findings|workspace|report|fix-run)$';
const LAYERS = [
  { folder: 'parse', above: ['evaluate', 'edit', 'graph', 'suppress', 'rules', 'fixes', 'topology'] },
  { folder: 'evaluate', above: ['edit', 'graph', 'suppress', 'rules', 'fixes', 'topology'] },
  { folder: 'edit', above: ['evaluate', 'graph', 'suppress', 'rules', 'fixes', 'topology'] },
  { folder: 'graph', above: ['edit', 'suppress', 'rules', 'fixes', 'topology'] },
  { folder: 'rules', above: ['fixes', 'topology'] },
  { folder: 'fixes', above: ['topology'], alsoForbidden: '(^|/)rules(/(?!types$)[^/]+)?$' },
  { folder: 'topology', above: [] },
];
const VSCODE = { name: 'vscode', message: 'src/core must not depend on the VS Code API; put editor code in src/extension.' };
const layerRule = (/** @type {string | undefined} */ forbidden, /** @type {string} */ message) => [
  'error',
  {
    paths: [VSCODE],
    patterns: [
      { group: ADAPTERS, message: 'src/core must not depend on the adapters.' },
      ...(forbidden ? [{ regex: `${TOP}|${forbidden}`, message }] : []),
    ],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test/fixtures/**', 'examples/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // No circle of imports anywhere in src/ (type-only imports count too: a circle of types is
    // still two modules that cannot be understood one without the other).
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.md'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // The engine and the Node file reading (src/node) are shared by the CLI, the tests and the
    // extension: they never import the editor API or an adapter.
    files: ['src/core/**/*.ts', 'src/node/**/*.ts'],
    rules: { 'no-restricted-imports': layerRule(undefined, '') },
  },
  ...LAYERS.map(({ folder, above, alsoForbidden }) => ({
    files: [`src/core/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': layerRule(
        [...above.map((f) => `(^|/)${f}(/.*)?$`), ...(alsoForbidden ? [alsoForbidden] : [])].join('|') || '$^',
        `src/core/${folder} is below ${[...above, 'engine, findings, workspace, report'].join(', ')}${alsoForbidden ? ' and imports only rules/types from the rules' : ''}: a lower layer never imports a higher one.`,
      ),
    },
  })),
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
  },
);
