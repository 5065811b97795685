// Every source map in the packed package resolves: the file it names is in the tarball or its
// text is inlined (`inlineSources`), so a stack trace through the maps shows real code (issue 12).
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { dirname, join, posix } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'

const root = new URL('..', import.meta.url).pathname
// --ignore-scripts: list what `npm pack` would ship from the current build, without rebuilding.
const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root })
const shipped = new Set((JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path))
const maps = [...shipped].filter((path) => path.endsWith('.js.map'))

t.test('the package ships a source map next to each compiled file', async (t) => {
  t.ok(maps.length > 10, `${maps.length} maps`)
  for (const map of maps) t.ok(shipped.has(map.slice(0, -'.map'.length)), map)
})

t.test('every packed source map inlines or ships the sources it names', async (t) => {
  for (const map of maps) {
    const { sources, sourcesContent = [] } = JSON.parse(await readFile(join(root, map), 'utf8')) as { sources: string[], sourcesContent?: Array<string | null> }
    sources.forEach((source, i) => {
      const path = posix.join(dirname(map), source)
      if (shipped.has(path)) return
      t.equal(typeof sourcesContent[i], 'string', `${map}: ${source} is neither shipped nor inlined`)
    })
  }
})

t.test('an inlined source is the file the map was built from', async (t) => {
  const map = JSON.parse(await readFile(join(root, 'dist/index.js.map'), 'utf8')) as { sourcesContent: string[] }
  t.equal(map.sourcesContent[0], await readFile(join(root, 'lib/index.ts'), 'utf8'))
})
