/**
 * Git ref names as `git check-ref-format` judges them, so that a bad `gitops.branch` or
 * `gitops.lockRef` is refused when the config loads, not by git in the middle of a failover.
 */

/** Why `name` is not a valid ref name (rules of git-check-ref-format(1)), or undefined. */
export function refFormatProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '@') return 'cannot be "@"';
  if (name.startsWith('/') || name.endsWith('/')) return 'cannot start or end with "/"';
  if (name.includes('//')) return 'cannot contain "//"';
  if (name.endsWith('.')) return 'cannot end with "."';
  if (name.includes('..')) return 'cannot contain ".."';
  if (name.includes('@{')) return 'cannot contain "@{"';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what git refuses.
  const bad = /[\u0000-\u0020\u007f~^:?*[\\]/.exec(name);
  if (bad)
    return `cannot contain ${bad[0] === ' ' ? 'a space' : bad[0] < ' ' || bad[0] === '\u007f' ? 'a control character' : `"${bad[0]}"`}`;
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return `has a part starting with "." (${component})`;
    if (component.endsWith('.lock')) return `has a part ending with ".lock" (${component})`;
  }
  return undefined;
}

/** `git check-ref-format --branch`: a ref name under refs/heads/, not starting with "-", not HEAD. */
export function branchNameProblem(name: string): string | undefined {
  if (name.startsWith('-')) return 'must not start with "-": git would read it as an option';
  if (name === 'HEAD') return 'cannot be HEAD';
  if (name.startsWith('refs/')) return 'is a branch name such as main, not a full ref (refs/…)';
  const problem = refFormatProblem(name);
  return problem ? `is not a valid branch name: it ${problem}` : undefined;
}

/** Namespaces that belong to branches, tags and other tools: a lock there would be mistaken for them. */
const FOREIGN_NAMESPACES = ['refs/heads/', 'refs/tags/', 'refs/remotes/', 'refs/notes/'];

/** A lock ref lives in a namespace of its own (default refs/failover/lock). */
export function lockRefProblem(ref: string): string | undefined {
  if (!ref.startsWith('refs/') || ref.split('/').length < 3)
    return 'must be a full ref in a namespace of its own, such as refs/failover/lock';
  const foreign = FOREIGN_NAMESPACES.find((prefix) => ref.startsWith(prefix));
  if (foreign)
    return `must not be under ${foreign}: a lock there would be taken for a ${foreign === 'refs/heads/' ? 'branch' : foreign === 'refs/tags/' ? 'tag' : 'ref of another tool'}; use refs/failover/lock`;
  const problem = refFormatProblem(ref);
  return problem ? `is not a valid ref name: it ${problem}` : undefined;
}
