import type { Protocol } from 'devtools-protocol'

/** Electron's permission names (request and check handlers) that Chromium 156 headless has an API for. */
export type PermissionName =
  | 'geolocation'
  | 'notifications'
  | 'media'
  | 'midi'
  | 'midiSysex'
  | 'pointerLock'
  | 'fullscreen'
  | 'clipboard-read'
  | 'clipboard-sanitized-write'
  | 'window-management'
  | 'idle-detection'
  | 'storage-access'
  | 'top-level-storage-access'
  | 'keyboardLock'

export type MediaType = 'video' | 'audio'

/** Electron names that are also Chromium's permission descriptor and permissions.query name. */
const SAME_NAMES: ReadonlySet<string> = new Set(['geolocation', 'notifications', 'clipboard-read', 'window-management', 'idle-detection', 'storage-access', 'top-level-storage-access'])

/**
 * Chromium's permission descriptors (Browser.setPermission) behind one
 * Electron request. An empty list: Chromium does not gate that API by a
 * permission setting in headless (pointer lock, fullscreen): the shim refuses
 * it itself on a denial.
 */
export function descriptorsFor(permission: PermissionName, media: readonly MediaType[]): Protocol.Browser.PermissionDescriptor[] {
  switch (permission) {
    case 'media':
      return media.map((kind) => ({ name: kind === 'video' ? 'camera' : 'microphone' }))
    case 'midi':
      // Chromium 156 blocks Web MIDI by default and gates plain access by the sysex setting too
      // (measured: a 'midi' grant alone still refuses requestMIDIAccess()).
      return [{ name: 'midi' }, { name: 'midi', sysex: true }]
    case 'midiSysex':
      return [{ name: 'midi', sysex: true }]
    case 'clipboard-sanitized-write':
      return [{ name: 'clipboard-write' }]
    case 'keyboardLock':
    case 'pointerLock':
    case 'fullscreen':
      return []
    default:
      return SAME_NAMES.has(permission) ? [{ name: permission }] : []
  }
}

/** The Electron name of a request the shim reports (its own names, see shim.ts). */
export function requestName(shimName: string, sysex: boolean): PermissionName | undefined {
  if (shimName === 'midi') return sysex ? 'midiSysex' : 'midi'
  return (REQUEST_NAMES as readonly string[]).includes(shimName) ? (shimName as PermissionName) : undefined
}

const REQUEST_NAMES = [
  'geolocation',
  'notifications',
  'media',
  'pointerLock',
  'fullscreen',
  'clipboard-read',
  'clipboard-sanitized-write',
  'window-management',
  'idle-detection',
  'storage-access',
] as const

/** `navigator.permissions.query({ name })` → the Electron name the check handler gets (and the media type). */
export function checkName(queryName: string, sysex: boolean): { permission: PermissionName; mediaType?: MediaType } | undefined {
  switch (queryName) {
    case 'camera':
      return { permission: 'media', mediaType: 'video' }
    case 'microphone':
      return { permission: 'media', mediaType: 'audio' }
    case 'midi':
      return { permission: sysex ? 'midiSysex' : 'midi' }
    case 'clipboard-write':
      return { permission: 'clipboard-sanitized-write' }
    case 'pointer-lock':
      return { permission: 'pointerLock' }
    case 'keyboard-lock':
      return { permission: 'keyboardLock' }
    case 'fullscreen':
      return { permission: 'fullscreen' }
    default:
      return SAME_NAMES.has(queryName) ? { permission: queryName as PermissionName } : undefined
  }
}

/**
 * What the session grants every origin while no handler is set (Electron grants
 * every request by default): Browser.grantPermissions for the whole context.
 */
export const DEFAULT_GRANTS: Protocol.Browser.PermissionType[] = [
  'audioCapture',
  'videoCapture',
  'geolocation',
  'notifications',
  'midi',
  'midiSysex',
  'clipboardReadWrite',
  'clipboardSanitizedWrite',
  'windowManagement',
  'idleDetection',
  'storageAccess',
  'pointerLock',
  'keyboardLock',
]
