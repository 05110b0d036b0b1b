import type { Scenario } from '../lib/types.js'
import { cookies } from './cookies.js'
import { gatewayConnect, gatewayLatency, gatewayThroughput } from './gateway.js'
import { sessionPageLoad } from './session-page-load.js'
import { interceptPageLoad, pageLoad200 } from './intercept-page-load.js'
import { closeScenario, launchScenario } from './launch.js'
import { liveSessions } from './live-sessions.js'
import { download } from './download.js'
import { permissionShim } from './permission-shim.js'
import { certificateVerify } from './certificate-verify.js'

/** Every scenario `pnpm bench` knows, in run order. Add new ones here. */
export const scenarios: readonly Scenario[] = [
  sessionPageLoad,
  cookies,
  launchScenario,
  closeScenario,
  gatewayThroughput,
  gatewayLatency,
  gatewayConnect,
  pageLoad200,
  interceptPageLoad,
  liveSessions,
  download,
  permissionShim,
  certificateVerify,
]
