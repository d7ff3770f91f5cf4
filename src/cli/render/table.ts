import { stripVTControlCharacters } from 'node:util';

/** Left-aligned columns that stay aligned when cells carry colour codes. */
export function renderTable(
  header: string[],
  rows: string[][],
  bold: (s: string) => string = (s) => s,
): string {
  const visible = (s: string) => stripVTControlCharacters(s).length;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell + ' '.repeat(Math.max(0, widths[i]! - visible(cell))))
      .join('  ')
      .trimEnd();
  return [bold(line(header)), ...rows.map(line)].join('\n');
}
