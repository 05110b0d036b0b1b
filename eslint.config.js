// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const layer = (from, forbidden) => ({
  files: [`packages/cdp-session/src/${from}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((name) => ({
          group: [`../${name}/*`, `../../${name}/*`],
          message: `Imports go one way: electron/ → cdp/, net/ → common/. ${from}/ must not import ${name}/.`,
        })),
      },
    ],
  },
})

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'probe/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  layer('common', ['cdp', 'net', 'electron']),
  layer('cdp', ['electron', 'net']),
  layer('net', ['electron', 'cdp']),
)
