/** `--report FORMAT:PATH` (repeatable): reports written from the journals of the runs. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { invalidInput } from '../engine/errors.js';
import { readJournal } from '../engine/journal.js';
import { buildRunReport } from '../report/model.js';
import { type ReportDocument, type ReportFormat, renderReport } from '../report/render.js';

export interface ReportTarget {
  format: ReportFormat;
  path: string;
}

const FORMATS: ReportFormat[] = ['junit', 'json', 'md'];

export function parseReportTargets(values: string[]): ReportTarget[] {
  return values.map((value) => {
    const colon = value.indexOf(':');
    const format = value.slice(0, colon) as ReportFormat;
    const path = value.slice(colon + 1);
    if (colon <= 0 || !FORMATS.includes(format) || !path) {
      throw invalidInput('FO_REPORT_E7001', `--report expects FORMAT:PATH, got "${value}"`, {
        hint: `FORMAT is one of ${FORMATS.join(', ')}, e.g. --report junit:out/drill.xml`,
      });
    }
    return { format, path: resolve(path) };
  });
}

export function reportDocument(title: string, journalFiles: string[], notes: string[] = []): ReportDocument {
  const runs = journalFiles.map((file) => {
    const events = readJournal(file);
    try {
      return buildRunReport(events);
    } catch (error) {
      // A hand-edited or half-written journal must give a message, not a stack trace.
      throw invalidInput(
        'FO_REPORT_E7004',
        `cannot build a report from ${file}: ${(error as Error).message}`,
        {
          hint: 'the journal is damaged; `failover runs` lists the readable ones',
          cause: error,
        },
      );
    }
  });
  return { title, runs, notes };
}

export function writeReports(targets: ReportTarget[], doc: ReportDocument): string[] {
  return targets.map((target) => {
    mkdirSync(dirname(target.path), { recursive: true });
    writeFileSync(target.path, renderReport(target.format, doc));
    return target.path;
  });
}
