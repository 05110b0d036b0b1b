/**
 * The Accept-Language value Chromium sends for a language list: the first
 * entry bare, then q=0.9, 0.8, … down to q=0.1 for every later one
 * ('en-US,fr,de' → 'en-US,fr;q=0.9,de;q=0.8'). A list that already carries
 * q-values is sent as given.
 */
export function acceptLanguageHeader(languages: string): string {
  const entries = languages.split(',').map((entry) => entry.trim()).filter(Boolean)
  if (entries.some((entry) => entry.includes(';'))) return entries.join(',')
  return entries.map((entry, i) => (i === 0 ? entry : `${entry};q=0.${Math.max(10 - i, 1)}`)).join(',')
}

/** `headers` with each of `replacements` set, replacing any same-named header whatever its case. */
export function replaceHeaders(
  headers: Record<string, string>,
  replacements: Record<string, string>,
): Array<{ name: string; value: string }> {
  const replaced = new Set(Object.keys(replacements).map((name) => name.toLowerCase()))
  const result = Object.entries(headers)
    .filter(([name]) => !replaced.has(name.toLowerCase()))
    .map(([name, value]) => ({ name, value }))
  for (const [name, value] of Object.entries(replacements)) result.push({ name, value })
  return result
}
