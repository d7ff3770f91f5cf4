#!/usr/bin/env node
// Writes test/timings.json (seconds per test file) from a vitest JSON report, for the
// slowest-first test order in a clean clone (test/sequencer.ts). Usage:
//   npx vitest run --reporter=json --outputFile.json=/tmp/report.json
//   node scripts/test-timings.mjs /tmp/report.json
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const reportPath = process.argv[2];
if (!reportPath) {
  console.error('usage: node scripts/test-timings.mjs REPORT.json (a vitest JSON report)');
  process.exit(2);
}
const root = join(import.meta.dirname, '..');
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const seconds = {};
for (const file of report.testResults ?? []) {
  if (typeof file.startTime !== 'number' || typeof file.endTime !== 'number') continue;
  seconds[relative(root, file.name)] = Math.round((file.endTime - file.startTime) / 100) / 10;
}
const sorted = Object.fromEntries(Object.entries(seconds).sort((a, b) => b[1] - a[1]));
writeFileSync(join(root, 'test', 'timings.json'), `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`test/timings.json: ${Object.keys(sorted).length} files`);
