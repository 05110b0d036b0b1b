// What a feature is given: the session core, with WebContents as its page type.
import type { SessionCore } from './core/session-core.js'
import type { WebContents } from './web-contents.js'

export type SessionContext = SessionCore<WebContents>
