import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', '.tap/**', 'test/e2e/screenshots/**', 'node_modules/**', 'bench/results/**'] })
]
