import type { Scenario } from '../lib/types.js'
import { cookies } from './cookies.js'
import { sessionPageLoad } from './session-page-load.js'

/** Every scenario `pnpm bench` knows, in run order. Add new ones here. */
export const scenarios: readonly Scenario[] = [sessionPageLoad, cookies]
