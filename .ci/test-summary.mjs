// The end of a CI log: the 15 slowest test files (where the suite's time goes), then one plain closing
// line that any log reader understands. Reads vitest's JSON report: node .ci/test-summary.mjs FILE
import fs from 'node:fs';
import path from 'node:path';

const file = process.argv[2];
if (!file || !fs.existsSync(file)) {
  console.log(`tests: no results (vitest wrote no report${file ? ` at ${file}` : ''})`);
  process.exit(1);
}
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const slowest = report.testResults
  .map((result) => ({ file: path.relative(process.cwd(), result.name), seconds: (result.endTime - result.startTime) / 1000, tests: result.assertionResults.length }))
  .sort((a, b) => b.seconds - a.seconds)
  .slice(0, 15);
console.log('slowest test files:');
for (const { file: name, seconds, tests } of slowest) console.log(`${seconds.toFixed(1).padStart(7)} s  ${name} (${tests} tests)`);
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`);
