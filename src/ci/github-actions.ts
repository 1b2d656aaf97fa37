// A run's end as GitHub Actions shows it, when GITHUB_ACTIONS=true: a Markdown section appended to the
// job summary ($GITHUB_STEP_SUMMARY), step outputs ($GITHUB_OUTPUT), and one `::error`/`::warning`
// workflow command on stderr for a run that did not end 0. Formats, as GitHub documents them
// (docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands, in github/docs
// content/actions/reference/workflows-and-actions/workflow-commands.md):
//   - "Adding a job summary": GitHub-flavoured Markdown appended to the file $GITHUB_STEP_SUMMARY names;
//   - "Setting an output parameter": `{name}={value}` lines appended to $GITHUB_OUTPUT, and for other
//     values the "Multiline strings" form `{name}<<{delimiter}` / value / delimiter, with a delimiter that
//     cannot occur in the value (actions/toolkit packages/core/src/lib/file-command.ts uses
//     `ghadelimiter_<uuid>` the same way);
//   - "Setting an error message": `::error title={title}::{message}` (and `::warning`); the message's
//     `%`, CR and LF are written %25, %0D and %0A, a property's also `:` and `,` as %3A and %2C
//     (actions/toolkit packages/core/src/lib/command.ts, escapeData and escapeProperty).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Context, Env } from '../context.js';
import { ExitCode } from '../errors.js';
import { topReasons, type AudienceLine, type EndedRun } from './ended-run.js';

export function inGitHubActions(env: Env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** Summary, outputs and annotation; a file that cannot be written is a warning, never the run's failure. */
export function tellGitHubActions(ctx: Context, ended: EndedRun): void {
  const annotation = annotationOf(ended);
  if (annotation) ctx.stderr.write(annotation + '\n');
  appendTo(ctx, 'GITHUB_STEP_SUMMARY', 'the job summary', stepSummary(ended));
  appendTo(ctx, 'GITHUB_OUTPUT', 'the step outputs', stepOutputs(ended));
}

function appendTo(ctx: Context, variable: string, what: string, text: string): void {
  const file = ctx.env[variable];
  if (!file) return;
  try {
    fs.appendFileSync(file, text, 'utf8');
  } catch (error) {
    ctx.warn(`Could not write ${what} to $${variable} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

/** `::error title=pinsync::…` for a failed run, `::warning` for a partial (3) or interrupted (130) one; none after 0. */
function annotationOf(ended: EndedRun): string | undefined {
  if (ended.exitCode === ExitCode.ok) return undefined;
  const level = ended.exitCode === ExitCode.partial || ended.exitCode === ExitCode.interrupted ? 'warning' : 'error';
  return `::${level} title=${escapeProperty('pinsync')}::${escapeData(ended.sentence)}`;
}

export function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** The contract's outputs (`synced`, `errored`, `pending`, `not-synced`, `exit-code`, `run-id`) plus `message`. */
export function stepOutputs(ended: EndedRun): string {
  const outputs: Array<[string, string]> = [
    ['synced', String(ended.totals.synced)],
    ['errored', String(ended.totals.errored)],
    ['pending', String(ended.totals.pending)],
    ['not-synced', String(ended.totals.notSynced)],
    ['exit-code', String(ended.exitCode)],
    // One id per audience run, space-separated (a fan-out or a jobs file has several).
    ['run-id', ended.runIds.join(' ')],
    ['message', ended.sentence],
  ];
  return outputs.map(([name, value]) => outputLine(name, value)).join('');
}

function outputLine(name: string, value: string): string {
  if (/^[\w .-]*$/.test(value)) return `${name}=${value}\n`;
  const delimiter = `ghadelimiter_${randomUUID()}`;
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

const n = (value: number | undefined) => (value === undefined ? '—' : value.toLocaleString('en-US'));

/** The Markdown section: a heading with the outcome, the sentence, a row per audience, the run ids, what to do. */
function stepSummary(ended: EndedRun): string {
  const lines = [`### ${outcomeMark(ended.exitCode)} pinsync ${ended.command}${ended.dryRun ? ' (dry run)' : ''}: ${outcomeWord(ended.exitCode)}`, '', prose(ended.sentence), ''];
  if (ended.audiences.length > 0) lines.push(...audienceTable(ended.audiences), '');
  const facts = runFacts(ended);
  if (facts) lines.push(facts, '');
  if (ended.todo.length > 0) lines.push('**To do**', '', ...ended.todo.map((item) => `- ${prose(item)}`), '');
  return lines.join('\n') + '\n';
}

function outcomeMark(exitCode: number): string {
  if (exitCode === ExitCode.ok) return '✅';
  return exitCode === ExitCode.partial || exitCode === ExitCode.interrupted ? '⚠️' : '❌';
}

const OUTCOME_WORDS: Record<number, string> = {
  [ExitCode.ok]: 'done',
  [ExitCode.internal]: 'failed (exit 1, internal error)',
  [ExitCode.usage]: 'failed (exit 2, usage or input)',
  [ExitCode.partial]: 'partly done (exit 3)',
  [ExitCode.auth]: 'failed (exit 4, authentication or permission)',
  [ExitCode.notFound]: 'failed (exit 5, not found)',
  [ExitCode.interrupted]: 'interrupted (exit 130)',
};

function outcomeWord(exitCode: number): string {
  return OUTCOME_WORDS[exitCode] ?? `failed (exit ${exitCode})`;
}

function audienceTable(audiences: readonly AudienceLine[]): string[] {
  const withJobs = audiences.some((line) => line.job !== undefined);
  const mirror = audiences.some((line) => line.added !== undefined);
  const header = [...(withJobs ? ['Job'] : []), 'Audience', 'Entered', 'Synced', 'Duplicates', 'Not synced', 'Errored', 'Pending', ...(mirror ? ['Added / removed'] : []), 'Exit'];
  const align = header.map((name) => (name === 'Job' || name === 'Audience' ? ':--' : '--:'));
  const rows = audiences.map((line) => {
    const reasons = topReasons(line.notSyncedReasons, 3);
    const cells = [
      ...(withJobs ? [markdown(line.job ?? '')] : []),
      markdown(line.name),
      n(line.entered),
      n(line.synced),
      n(line.duplicates),
      `${n(line.notSynced)}${reasons ? ` (${markdown(reasons)})` : ''}`,
      n(line.errored),
      n(line.pending),
      ...(mirror ? [line.added === undefined ? '—' : `+${n(line.added)} / -${n(line.removed)}`] : []),
      String(line.exitCode),
    ];
    return row(cells);
  });
  return [row(header), row(align), ...rows];
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function runFacts(ended: EndedRun): string | undefined {
  const facts: string[] = [];
  if (ended.runIds.length === 1) facts.push(`Run ${ended.runIds[0]} (\`pinsync runs show ${ended.runIds[0]}\`)`);
  if (ended.runIds.length > 1) facts.push(`Runs ${ended.runIds.join(', ')} (\`pinsync runs show ID\`)`);
  if (ended.totals.records > 0) facts.push(`${n(ended.totals.records)} records sent`);
  if (ended.durationMs !== undefined) facts.push(`${(ended.durationMs / 1000).toFixed(1)} s`);
  return facts.length > 0 ? facts.join(' · ') : undefined;
}

/** Text from names and messages, safe in a table cell: Markdown and HTML marks escaped, one line. */
function markdown(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_[\]<>|#~]/g, (mark) => `\\${mark}`);
}

/** Our own sentences: the same, but their `commands` stay code. */
function prose(text: string): string {
  if (text.split('`').length % 2 === 0) return markdown(text); // an odd backtick (in a name): no code spans
  return text.split('`').map((part, i) => (i % 2 === 1 ? `\`${part}\`` : markdown(part))).join('');
}
