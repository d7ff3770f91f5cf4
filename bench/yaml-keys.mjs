// bench/yaml-keys: how the YAML reader's checks (duplicate keys, nesting depth) scale with the size
// of a file. Linear: each 4× more keys should take about 4× the time, not 16×.
// Usage: npm run build && node bench/yaml-keys.mjs [runs=5]
import { median } from './lib.mjs';

const { parseYamlSource } = await import('../dist/util/yaml-source.js');
const runs = Number(process.argv[2] ?? 5);

function time(keys) {
  const lines = Array.from({ length: keys }, (_, i) => `k${i}: ${i}`);
  lines.push('k17: again');
  const text = lines.join('\n');
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const source = parseYamlSource(text, 'many.yaml');
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (source.problems.length !== 1)
      throw new Error(`expected one duplicate key, got ${source.problems.length}`);
  }
  return median(samples);
}

time(2_500); // warm-up
console.log(`parseYamlSource of N keys with one duplicate, median of ${runs} runs`);
let previous;
for (const keys of [10_000, 40_000, 160_000]) {
  const ms = time(keys);
  const ratio = previous ? ` (×${(ms / previous).toFixed(1)} for ×4 keys)` : '';
  console.log(`  ${String(keys).padStart(7)} keys  ${ms.toFixed(0).padStart(6)} ms${ratio}`);
  previous = ms;
}
