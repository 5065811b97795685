// The default `npm test` reporter: one line per file, a failing file's TAP in full, tap's summary.
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import t from 'tap'
// @ts-expect-error a plain ESM script without types
import FileLineReporter from '../../scripts/test-reporter.mjs'

const passing = (n: number, file: string) => [
  `# Subtest: ${file}`,
  '    ok 1 - a behaviour # time=1.2ms',
  '    1..1',
  `ok ${n} - ${file} # time=1534.5ms`
]
const failing = (n: number, file: string) => [
  `# Subtest: ${file}`,
  '    not ok 1 - one is two',
  '      ---',
  '      diff: |',
  '        -2',
  '        +1',
  '      ...',
  '    1..1',
  `not ok ${n} - ${file} # time=20ms`,
  '  ---',
  '  at: {}',
  '  ...'
]

async function report (lines: string[]): Promise<string> {
  // Split mid-line, as a pipe may deliver it.
  const raw = lines.join('\n') + '\n'
  return await text(Readable.from([raw.slice(0, 17), raw.slice(17)]).pipe(new FileLineReporter()))
}

t.test('a passing file is one line with its time', async (t) => {
  t.equal(await report(['TAP version 14', ...passing(1, 'test/a.test.ts'), '1..1', '# { total: 1, pass: 1 }', '# time=2000ms']),
    'ok      test/a.test.ts 1.5s\n# { total: 1, pass: 1 }\n# time=2000ms\n')
})

t.test('a failing file is shown with its whole TAP, and the next passing file as one line', async (t) => {
  const out = await report([...failing(1, 'test/b.test.ts'), ...passing(2, 'test/c.test.ts'), '# { total: 2, pass: 1, fail: 1 }'])
  t.equal(out, [
    'FAILED  test/b.test.ts 0.0s',
    ...failing(1, 'test/b.test.ts'),
    'ok      test/c.test.ts 1.5s',
    '# { total: 2, pass: 1, fail: 1 }',
    ''
  ].join('\n'))
})

t.test('a bail out is shown', async (t) => {
  t.match(await report(['Bail out! no Chromium']), /^Bail out! no Chromium\n$/)
})
