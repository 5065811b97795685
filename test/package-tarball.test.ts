// What `npm pack` produces, as a user gets it: linted by publint and arethetypeswrong, installed
// into a fresh app next to Fastify, and run from ESM, from require() and through a strict
// TypeScript check (issue 12). Installs come from the npm cache (--prefer-offline).
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'

const run = promisify(execFile)
// Packs, installs and type-checks: minutes on a busy 2-core machine, past .taprc's 120 s per file.
t.setTimeout(600_000)
const root = new URL('..', import.meta.url).pathname
const bin = (name: string) => join(root, 'node_modules', '.bin', name)
const quiet = { ...process.env, npm_config_loglevel: 'error', npm_config_fund: 'false', npm_config_audit: 'false', NO_COLOR: '1' }

const dir = await mkdtemp(join(tmpdir(), 'oauth-guard-pack-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))
// --ignore-scripts: pack the build `npm test` made (pretest) rather than building a second time.
await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, env: quiet })
const tarball = join(dir, (await readdir(dir)).find((name) => name.endsWith('.tgz')) as string)

t.test('publint finds nothing to report in the tarball', async (t) => {
  const { stdout } = await run(bin('publint'), ['run', tarball, '--strict'], { env: quiet })
  t.match(stdout, /All good!/)
})

t.test('arethetypeswrong finds no type resolution problem (ESM-only profile)', async (t) => {
  // esm-only: the package is ESM; CommonJS reaches it through require(esm) (Node ^20.19, >=22.12),
  // which TypeScript's node16 CommonJS resolution does not model.
  // attw exits non-zero on any problem the profile does not ignore.
  const { stdout } = await run(bin('attw'), [tarball, '--profile', 'esm-only', '--no-emoji', '--no-color'], { env: quiet })
  t.match(stdout, "(ignoring resolutions: 'node10', 'node16-cjs')")
  t.same(stdout.split('\n').filter((line) => /\b(Resolution failed|Masquerading|Internal resolution error|No types|Used fallback|ESM \(dynamic)/.test(line) && !line.includes('(ignored)')), [])
})

const app = join(dir, 'app')
const installed = (async () => {
  await mkdir(app)
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'first-app', private: true, type: 'module' }))
  await run('npm', ['install', '--prefer-offline', '--ignore-scripts', tarball, 'fastify@5'], { cwd: app, env: quiet })
})()

// The README's protected route, against the package's own testing issuer.
const appBody = `
  const issuer = await createLocalIssuer()
  const app = Fastify()
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience })
  app.get('/me', { onRequest: app.authenticate }, async (request) => ({ id: request.requireAuth().id }))
  const allowed = await app.inject({ url: '/me', headers: { authorization: 'Bearer ' + await issuer.sign({ sub: 'user-1' }) } })
  const refused = await app.inject('/me')
  console.log(JSON.stringify([allowed.statusCode, allowed.json(), refused.statusCode, refused.headers['www-authenticate']]))
  await app.close()
  await issuer.close()
`
const expected = [200, { id: 'user-1' }, 401, 'Bearer, DPoP algs="ES256 RS256 PS256 EdDSA"']

t.test('a fresh app runs a protected route from the tarball, from ESM', async (t) => {
  await installed
  await writeFile(join(app, 'esm.js'), `import Fastify from 'fastify'
import oauthGuard from 'fastify-oauth-guard'
import { createLocalIssuer } from 'fastify-oauth-guard/testing'
${appBody}`)
  const { stdout } = await run(process.execPath, ['esm.js'], { cwd: app })
  t.same(JSON.parse(stdout), expected)
})

t.test('a fresh app runs a protected route from the tarball, from require()', async (t) => {
  await installed
  await writeFile(join(app, 'cjs.cjs'), `const Fastify = require('fastify')
const { oauthGuard } = require('fastify-oauth-guard')
const { createLocalIssuer } = require('fastify-oauth-guard/testing')
;(async () => {${appBody}})()`)
  const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: app })
  t.same(JSON.parse(stdout), expected)
})

t.test('the README example type-checks against the tarball with strict', async (t) => {
  await installed
  await writeFile(join(app, 'typed.ts'), `import Fastify from 'fastify'
import oauthGuard, { type AuthContext } from 'fastify-oauth-guard'
import { createLocalIssuer } from 'fastify-oauth-guard/testing'
${appBody}
app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async (request) => {
  const auth: AuthContext = request.requireAuth()
  // @ts-expect-error request.auth is nullable; requireAuth() is the typed way
  const id: string = request.auth.id
  return { owner: auth.id, id }
})
`)
  await writeFile(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, typeRoots: [join(root, 'node_modules/@types')], types: ['node'] },
    files: ['typed.ts']
  }))
  const result = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app }).then(() => '', (err: { stdout: string }) => err.stdout)
  t.equal(result, '', 'tsc reports nothing')
})
