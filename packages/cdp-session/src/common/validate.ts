import type { z } from 'zod'
import { ValidationError } from './errors.js'

/**
 * Validates one public argument. `expected` is the human description used in
 * the error: `api: argument 'x' is <value>; expected <expected>.`
 */
export function validateArg<S extends z.ZodType>(
  api: string,
  argument: string,
  schema: S,
  value: unknown,
  expected: string,
): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  if (issue && issue.path.length > 0) {
    const path = issue.path.map(String).join('.')
    let nested: unknown = value
    for (const key of issue.path) nested = (nested as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey]
    throw new ValidationError(api, `${argument}.${path}`, nested, `${expected} (${issue.message})`)
  }
  throw new ValidationError(api, argument, value, expected)
}
