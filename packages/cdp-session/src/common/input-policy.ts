// The input policy (docs/decisions.md, "Inputs: accept what Electron accepts"): what Electron
// and Chromium accept is accepted with their result; a part of an input that Chromium ignores
// silently is ignored here too, but said once with process.emitWarning; only what Electron
// rejects is rejected, with Electron's own message where it has one.
import { ValidationError } from './errors.js'

/** The `code` of every warning about an ignored part of an input. */
export const IGNORED_INPUT_WARNING = 'CDP_SESSION_INPUT_IGNORED'

/** Distinct warnings already emitted (bounded: a program feeding endless distinct inputs stops being told). */
const warned = new Set<string>()
const MAX_DISTINCT_WARNINGS = 1000

/**
 * Says, once per distinct text, that `api` ignored part of its input: `what` names the part
 * (quoted value and argument), `why` says what Chromium/Electron do with it.
 */
export function warnIgnoredInput(api: string, what: string, why: string): void {
  const message = `${api}: ignored ${what}: ${why}`
  if (warned.has(message) || warned.size >= MAX_DISTINCT_WARNINGS) return
  warned.add(message)
  process.emitWarning(message, { type: 'CdpSessionWarning', code: IGNORED_INPUT_WARNING })
}

/** Forgets which warnings were emitted (tests). */
export function resetInputWarnings(): void {
  warned.clear()
}

/**
 * A ValidationError whose message is exactly Electron's text for the same input (code, argument
 * and value stay machine-readable), so code that compares Electron's messages keeps working.
 */
export function electronValidationError(api: string, argument: string, value: unknown, electronMessage: string): ValidationError {
  const error = new ValidationError(api, argument, value, electronMessage)
  const original = error.message
  error.message = electronMessage
  if (typeof error.stack === 'string') error.stack = error.stack.replace(original, electronMessage)
  return error
}

/** A short quoted form of a piece of input for warnings. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value)
  if (typeof value !== 'object' || value === null) return `${value === null ? 'null' : typeof value} ${String(value)}`
  try {
    return `${typeof value} ${JSON.stringify(value) ?? String(value)}`
  } catch {
    return typeof value
  }
}

/**
 * gin's error for an argument it cannot convert (gin::Arguments::ThrowError): the value is shown
 * only when it is a string (V8TypeAsString converts nothing else), and an undefined with nothing
 * after it is a missing argument. Electron throws it as a TypeError from the call itself.
 */
export function ginConversionError(api: string, index: number, argument: string, value: unknown, later: readonly unknown[] = []): ValidationError {
  if (value === undefined && later.every((v) => v === undefined)) return electronValidationError(api, argument, value, 'Insufficient number of arguments.')
  const shown = value === undefined ? 'undefined' : value === null ? 'null' : typeof value === 'string' ? value : ''
  return electronValidationError(api, argument, value, `Error processing argument at index ${index}, conversion failure from ${shown}`)
}
