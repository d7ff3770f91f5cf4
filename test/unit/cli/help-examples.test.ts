/**
 * Every command's `--help` ends with examples, and every example is a command line the real
 * program accepts: parsed by the same commander program with the actions replaced, so a renamed or
 * removed option fails here instead of in an operator's terminal.
 */
import { type Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandPath, EXAMPLES, leafCommands } from '../../../src/cli/help-examples.js';
import { buildProgram } from '../../../src/cli/main.js';

/** The failover invocation in an example line: after a pipe, before a redirection or a comment. */
function argvOf(example: string): string[] {
  const line = example.split('  #')[0]!.split(' > ')[0]!;
  const invocation = line.slice(line.lastIndexOf('failover '));
  const tokens = invocation.match(/"[^"]*"|\S+/g) ?? [];
  return tokens.map((t) => (t.startsWith('"') ? t.slice(1, -1) : t));
}

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe('examples in --help', () => {
  const program = buildProgram(() => {});
  const leaves = leafCommands(program);

  it('covers every command, and names no command that does not exist', () => {
    const paths = leaves.map(commandPath);
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) expect(EXAMPLES[path]?.length ?? 0, path).toBeGreaterThanOrEqual(2);
    expect(Object.keys(EXAMPLES).filter((p) => !paths.includes(p))).toEqual([]);
  });

  it.each(leaves.map((c) => [commandPath(c), c] as const))(
    '%s --help ends with its examples',
    (path, command) => {
      const help = helpOf(command);
      const section = help.slice(help.lastIndexOf('\nExamples:\n'));
      expect(section, path).toMatch(/^\nExamples:\n/);
      for (const example of EXAMPLES[path]!) {
        expect(section).toContain(`  ${example}`);
        expect(
          argvOf(example)
            .slice(0, path.split(' ').length + 1)
            .join(' '),
        ).toBe(`failover ${path}`);
      }
    },
  );

  it.each(Object.entries(EXAMPLES).flatMap(([path, lines]) => lines.map((line) => [path, line] as const)))(
    '%s: `%s` parses',
    async (_path, example) => {
      // A fresh program per line, its actions replaced: only the parse is under test.
      const parser = buildProgram(() => {});
      let ran = '';
      for (const command of leafCommands(parser))
        command.action(() => {
          ran = commandPath(command);
        });
      parser.configureOutput({ writeErr: () => {}, writeOut: () => {} });
      const argv = argvOf(example);
      const outcome = await parser.parseAsync(['node', ...argv]).then(
        () => 'parsed',
        (error: unknown) =>
          error instanceof CommanderError ? `${error.code}: ${error.message}` : String(error),
      );
      expect(outcome).toBe('parsed');
      expect(`failover ${ran}`).toBe(argv.slice(0, ran.split(' ').length + 1).join(' '));
    },
  );

  it('the parse check does catch an option that does not exist', async () => {
    const parser = buildProgram(() => {});
    for (const command of leafCommands(parser)) command.action(() => {});
    parser.configureOutput({ writeErr: () => {}, writeOut: () => {} });
    await expect(parser.parseAsync(['node', ...argvOf('failover status --no-such-flag')])).rejects.toThrow(
      /unknown option/,
    );
  });
});
