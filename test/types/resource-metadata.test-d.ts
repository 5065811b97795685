// Type tests of the RFC 9728 options: every `@ts-expect-error` directive must fail to compile;
// everything else must compile.
import type { OAuthGuardOptions } from '../../lib/index.js'

const base = { issuer: 'https://id.example.com', audience: 'https://api.example.com/mcp' }
const on: OAuthGuardOptions = { ...base, resource: 'https://api.example.com/mcp' }
const cached: OAuthGuardOptions = { ...base, resource: 'https://api.example.com/mcp', resourceMetadata: { maxAge: 60_000 } }
const off: OAuthGuardOptions = { ...base, resourceMetadata: false }
const explicit: OAuthGuardOptions = { ...base, resource: 'https://api.example.com/mcp', resourceMetadata: true }
// @ts-expect-error resource is one URL string, not a list
const list: OAuthGuardOptions = { ...base, resource: ['https://api.example.com/mcp'] }
// @ts-expect-error resource is a string, not a URL object
const url: OAuthGuardOptions = { ...base, resource: new URL('https://api.example.com/mcp') }
// @ts-expect-error maxAge is a number of milliseconds
const text: OAuthGuardOptions = { ...base, resourceMetadata: { maxAge: '1h' } }
// @ts-expect-error resourceMetadata takes only maxAge
const typo: OAuthGuardOptions = { ...base, resourceMetadata: { ttl: 60 } }
// @ts-expect-error resourceMetadata is a boolean or an object
const word: OAuthGuardOptions = { ...base, resourceMetadata: 'on' }
export const used = [on, cached, off, explicit, list, url, text, typo, word]
