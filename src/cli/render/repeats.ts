/**
 * Folds a run of the same warning or error into one line and a count. When a cloud is down, every
 * check that reads it says the same thing; an operator needs to read it once and know how often.
 * Plain output streams, so the first line shows at once and the count follows when the run ends.
 */
export interface Repeatable {
  /** What makes two lines the same (e.g. level and message, not the step that said it). */
  key: string;
  line: string;
  /** Who said it (a step id), listed in the count line. */
  source: string;
}

export class RepeatFolder {
  private current?: { key: string; sources: string[] };

  /** The lines to print now for this one. */
  push(entry: Repeatable): string[] {
    if (this.current?.key === entry.key) {
      this.current.sources.push(entry.source);
      return [];
    }
    const pending = this.flush();
    this.current = { key: entry.key, sources: [entry.source] };
    return [...pending, entry.line];
  }

  /** Ends the current run of repeats: the count line, if the line above was repeated. */
  flush(): string[] {
    const run = this.current;
    this.current = undefined;
    if (!run || run.sources.length < 2) return [];
    const more = run.sources.length - 1;
    const sources = [...new Set(run.sources)];
    const from = sources.length > 1 ? ` (from ${listed(sources)})` : '';
    return [`  … the same ${more} more time${more === 1 ? '' : 's'}${from}`];
  }
}

function listed(items: string[], max = 6): string {
  return items.length <= max
    ? items.join(', ')
    : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
