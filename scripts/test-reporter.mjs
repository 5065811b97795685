// tap reporter for `npm test`: one line per test file, a failing file's TAP in full, and tap's
// closing "# { total, pass, fail }" line (.ci/run reads it). tap pipes its raw TAP stream through
// this Transform to stdout;
// TAP_REPORTER=tap (or any tap reporter name) gives the full stream instead (see README, Tests).
import { Transform } from 'node:stream'

const FILE_RESULT = /^(not )?ok \d+ - (.+?)(?: # (.*))?$/

export default class FileLineReporter extends Transform {
  #partial = ''
  /** The TAP of the file being reported; tap buffers parallel files, so each arrives whole. */
  #block = []
  #lastFailed = false

  _transform (chunk, _encoding, done) {
    const lines = (this.#partial + chunk.toString()).split('\n')
    this.#partial = lines.pop()
    for (const line of lines) this.#line(line)
    done()
  }

  _flush (done) {
    if (this.#partial !== '') this.#line(this.#partial)
    done()
  }

  #line (line) {
    const out = { write: (text) => this.push(text) }
    // Top-level lines only: tap prints each file's subtest indented, then its result unindented.
    if (line.startsWith('# Subtest: ')) {
      this.#block = [line]
      return
    }
    if (line.startsWith(' ')) {
      // After a file's result come its own diagnostics: shown when it failed.
      if (this.#block === null) {
        if (this.#lastFailed) out.write(line + '\n')
      } else {
        this.#block.push(line)
      }
      return
    }
    const result = FILE_RESULT.exec(line)
    if (result !== null) {
      const [, failed, file, directive = ''] = result
      const time = /time=([\d.]+)ms/.exec(directive)
      const seconds = time === null ? '' : ` ${(Number(time[1]) / 1000).toFixed(1)}s`
      if (failed === undefined) {
        out.write(`ok      ${file}${seconds}${/SKIP|TODO/i.test(directive) ? ` # ${directive}` : ''}\n`)
      } else {
        out.write(`FAILED  ${file}${seconds}\n${(this.#block ?? []).join('\n')}\n${line}\n`)
      }
      this.#lastFailed = failed !== undefined
      this.#block = null
      return
    }
    if (line.startsWith('Bail out!') || line.startsWith('# ')) {
      out.write(line + '\n')
    }
  }
}
