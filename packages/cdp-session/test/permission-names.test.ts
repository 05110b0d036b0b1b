import { describe, expect, it } from 'vitest'
import { checkName, descriptorsFor, requestName } from '../src/electron/permissions/names.js'
import { QUERY_NAMES, windowShim, workerShim } from '../src/electron/permissions/shim.js'

describe('permission names', () => {
  it.each([
    ['geolocation', [], [{ name: 'geolocation' }]],
    ['media', ['video', 'audio'], [{ name: 'camera' }, { name: 'microphone' }]],
    ['media', ['audio'], [{ name: 'microphone' }]],
    // Chromium 156 gates plain Web MIDI by the sysex setting too.
    ['midi', [], [{ name: 'midi' }, { name: 'midi', sysex: true }]],
    ['midiSysex', [], [{ name: 'midi', sysex: true }]],
    ['clipboard-sanitized-write', [], [{ name: 'clipboard-write' }]],
    ['pointerLock', [], []],
    ['fullscreen', [], []],
  ] as const)('%s %j → Browser.setPermission descriptors %j', (permission, media, expected) => {
    expect(descriptorsFor(permission, media)).toEqual(expected)
  })

  it('requestMIDIAccess({ sysex }) is midiSysex; unknown names are no request', () => {
    expect(requestName('midi', true)).toBe('midiSysex')
    expect(requestName('midi', false)).toBe('midi')
    expect(requestName('camera', false)).toBeUndefined()
  })

  it('every permissions.query name the shim forwards has an Electron name', () => {
    for (const name of QUERY_NAMES) expect(checkName(name, false), name).toBeDefined()
    expect(checkName('camera', false)).toEqual({ permission: 'media', mediaType: 'video' })
    expect(checkName('microphone', false)).toEqual({ permission: 'media', mediaType: 'audio' })
    expect(checkName('midi', true)).toEqual({ permission: 'midiSysex' })
    expect(checkName('persistent-storage', false)).toBeUndefined()
  })

  it('the shims are plain scripts that name only their binding', () => {
    for (const source of [windowShim('cdpX'), workerShim('cdpX')]) {
      expect(() => new Function(source)).not.toThrow()
      expect(source).toContain('"cdpX"')
      expect(source).not.toMatch(/QUERY_NAMES_JSON|IS_WINDOW/)
    }
  })
})
