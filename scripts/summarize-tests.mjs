// Prints vitest's JSON report as the closing line CI reads: "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs'

const file = process.argv[2]
let report
try {
  report = JSON.parse(readFileSync(file, 'utf8'))
} catch (error) {
  console.log(`0 passed, 1 failed`)
  console.error(`summarize-tests: cannot read ${file}: ${error.message}`)
  process.exit(1)
}
const passed = report.numPassedTests ?? 0
const failed = report.numFailedTests ?? 0
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
// A file that failed to load has no tests of its own: count it as a failure.
let brokenFiles = (report.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0).length
// A run that failed outside any test (config error, unhandled error) must not read as green.
if (report.success === false && failed + brokenFiles === 0) brokenFiles = 1
console.log(`${passed} passed, ${failed + brokenFiles} failed, ${skipped} skipped`)
process.exit(failed + brokenFiles > 0 ? 1 : 0)
