// Storage, cache and flush operations of a Session (issue #3). Skeleton: owned by the storage work.
import { NotSupportedError } from '../common/errors.js'
import type { Session } from './session.js'

export interface ClearStorageDataOptions {
  origin?: string
  storages?: string[]
  quotas?: string[]
}

export interface ClearDataOptions {
  dataTypes?: string[]
  origins?: string[]
  excludeOrigins?: string[]
}

const notBuilt = (api: string): Promise<never> => Promise.reject(new NotSupportedError(`${api}: not built yet`))

export function clearStorageData(_session: Session, _options?: ClearStorageDataOptions): Promise<void> {
  return notBuilt('session.clearStorageData')
}
export function clearData(_session: Session, _options?: ClearDataOptions): Promise<void> {
  return notBuilt('session.clearData')
}
export function clearCache(_session: Session): Promise<void> {
  return notBuilt('session.clearCache')
}
export function getCacheSize(_session: Session): Promise<number> {
  return notBuilt('session.getCacheSize')
}
export function flushStorageData(_session: Session): Promise<void> {
  return notBuilt('session.flushStorageData')
}
