import t from 'tap'
import { duplicateName, hasDuplicateMembers } from '../../lib/token/json-members.js'

const segment = (json: string) => Buffer.from(json).toString('base64url')

t.test('a repeated top-level name is a duplicate, escaped or not', async (t) => {
  t.ok(duplicateName('{"a":1,"a":2}'))
  t.ok(duplicateName('{"sub":"x","s\\u0075b":"y"}'))
  t.ok(duplicateName(' {"a":"b","b":1,"a":null}'))
})

t.test('names repeated in nested objects, in arrays, or as values are not', async (t) => {
  t.notOk(duplicateName('{"a":{"x":1,"x":2},"b":[{"x":1},{"x":2}]}'))
  t.notOk(duplicateName('{"a":"a","b":["a","a"],"c":"b"}'))
  t.notOk(duplicateName('{"a":"\\"a\\"","b":"\\\\"}'))
  t.notOk(duplicateName('{}'))
})

t.test('a top-level array or scalar has no member names', async (t) => {
  t.notOk(duplicateName('["a","a"]'))
  t.notOk(duplicateName('"a"'))
})

t.test('hasDuplicateMembers looks at the header and the payload of a compact JWS', async (t) => {
  t.ok(hasDuplicateMembers(`${segment('{"alg":"RS256","alg":"none"}')}.${segment('{}')}.sig`))
  t.ok(hasDuplicateMembers(`${segment('{"alg":"RS256"}')}.${segment('{"sub":"a","sub":"b"}')}.sig`))
  t.notOk(hasDuplicateMembers(`${segment('{"alg":"RS256"}')}.${segment('{"sub":"a"}')}.sig`))
  t.notOk(hasDuplicateMembers('no-dots-at-all'))
  t.notOk(hasDuplicateMembers('one.dot'))
})
