/**
 * `acsync plan --pr-comment`: the plan as ONE comment on the pull request, where the reviewer is, updated in place
 * on every push (as tfcmt and Atlantis do) instead of a new comment each time. The comment is found again by a
 * hidden HTML-comment marker that names the config file, so two configs in one repository keep two comments.
 *
 * The Markdown is the step summary's (cli/report/github.ts), always masked: a pull request's conversation is read by
 * everyone with access to the repository and kept forever, so no email, name or phone appears unmasked, whatever
 * --no-mask-emails says. A comment that cannot be written (a fork's read-only token, GitHub down) is a warning;
 * the plan's exit code stays what the plan says.
 *
 * Variables (all set by the runner): GITHUB_TOKEN (passed by the workflow), GITHUB_REPOSITORY, GITHUB_EVENT_NAME,
 * GITHUB_EVENT_PATH (the event JSON: the pull request's number and head SHA), GITHUB_API_URL, and
 * GITHUB_SERVER_URL/GITHUB_RUN_ID/GITHUB_RUN_ATTEMPT for the link to the run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../engine/config/model.ts';
import type { RunResult } from '../../engine/model.ts';
import { escapeData, escapeProperty, isGithubActions, renderStepSummary } from '../report/github.ts';
import { maskEmail, maskResult } from '../report/mask.ts';
import { GitHubClient, GitHubHttpError } from './rest.ts';

/** GitHub refuses a comment body longer than this (characters; JS string length is at least that, so safe). */
export const COMMENT_MAX_CHARS = 65_536;

const MARKER_PREFIX = '<!-- acsync-plan-comment config=';

/** `<!-- acsync-plan-comment config=deploy/acsync.yaml -->`: percent-encoded so no path can end the comment early. */
export function commentMarker(configPath: string): string {
  const encoded = encodeURIComponent(configPath.replace(/\\/g, '/')).replace(/%2F/g, '/');
  return `${MARKER_PREFIX}${encoded} -->`;
}

/** The config path as the marker names it: relative to the workspace (the repository's root on a runner). */
export function markerPath(configFile: string, env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  const base = env['GITHUB_WORKSPACE'] !== undefined && env['GITHUB_WORKSPACE'] !== '' ? env['GITHUB_WORKSPACE'] : cwd;
  const rel = path.relative(base, path.resolve(cwd, configFile));
  return (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(cwd, configFile) : rel).split(path.sep).join('/');
}

/** Anything that still looks like an email address after masking (an error text, a reason) is masked too. */
const EMAIL_LIKE = /[^\s<>()[\]"'`|,;:*]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
export function scrubEmails(text: string): string {
  return text.replace(EMAIL_LIKE, (m) => maskEmail(m));
}

export interface CommentOptions {
  configPath: string;
  full: boolean;
  connectionNames?: Record<string, string>;
  runUrl?: string;
  headSha?: string;
  maxChars?: number;
}

/** The whole comment: marker, the step summary's Markdown (masked), where it came from; cut to fit when too long. */
export function renderPlanComment(result: RunResult, opts: CommentOptions): string {
  const max = opts.maxChars ?? COMMENT_MAX_CHARS;
  const marker = commentMarker(opts.configPath);
  const summary = scrubEmails(
    renderStepSummary(maskResult(result), { maskEmails: true, full: opts.full, ...(opts.connectionNames ? { connectionNames: opts.connectionNames } : {}) }),
  );
  const source = [
    `config \`${opts.configPath.replace(/`/g, "'")}\``,
    ...(opts.headSha ? [`commit ${opts.headSha.slice(0, 7)}`] : []),
    ...(opts.runUrl ? [`[workflow run](${opts.runUrl})`] : []),
  ];
  const footer = `\n<sub>${source.join(' · ')} · emails and names masked · updated on every push</sub>\n`;
  const head = `${marker}\n`;
  const room = max - head.length - footer.length;
  const where = opts.runUrl ? `the [workflow run](${opts.runUrl})'s summary` : "the workflow run's summary";
  const note = `\n\n> [!NOTE]\n> The plan is cut here: it is longer than the ${max.toLocaleString('en-US')} characters GitHub allows in a comment. The whole plan is in ${where}, or run \`acsync plan\` locally.\n`;
  const body = summary.length <= room ? summary : truncateMarkdown(summary, room - note.length) + note;
  return head + body + footer;
}

/**
 * The longest prefix of `md`, cut at a line end, that fits in `max` characters once the code fences and
 * <details> blocks still open at the cut are closed again (so the rest of the comment renders as Markdown).
 */
export function truncateMarkdown(md: string, max: number): string {
  const lines = md.split('\n');
  const kept: string[] = [];
  let used = 0;
  let fence: string | undefined;
  let openDetails = 0;
  const closing = (f: string | undefined, d: number) => (f !== undefined ? f.length + 1 : 0) + d * '\n</details>'.length;
  for (const line of lines) {
    let f = fence;
    let d = openDetails;
    if (f === undefined) {
      const m = /^(`{3,})/.exec(line);
      if (m !== null) f = m[1];
      d += (line.match(/<details>/g) ?? []).length - (line.match(/<\/details>/g) ?? []).length;
    } else if (line === f) {
      f = undefined;
    }
    if (used + line.length + 1 + closing(f, Math.max(0, d)) > max) break;
    kept.push(line);
    used += line.length + 1;
    fence = f;
    openDetails = Math.max(0, d);
  }
  if (fence !== undefined) kept.push(fence);
  for (let i = 0; i < openDetails; i++) kept.push('</details>');
  return kept.join('\n');
}

export interface PullRequestTarget {
  token: string;
  repo: string;
  apiUrl: string;
  number: number;
  headSha?: string;
  runUrl?: string;
}

/** Where to comment, from the runner's variables; or why not (a sentence for the log). */
export async function pullRequestTarget(env: NodeJS.ProcessEnv): Promise<{ target: PullRequestTarget } | { skip: string } | { problem: string }> {
  if (!isGithubActions(env)) return { skip: 'not running on GitHub Actions (GITHUB_ACTIONS is not true): no comment written' };
  const event = env['GITHUB_EVENT_NAME'] ?? '';
  if (event !== 'pull_request' && event !== 'pull_request_target')
    return { skip: `the ${event === '' ? 'unknown' : event} event is not a pull request: no comment written` };
  const token = env['GITHUB_TOKEN'] ?? '';
  if (token === '')
    return { problem: 'GITHUB_TOKEN is not set: pass it to the step (env: GITHUB_TOKEN: ${{ github.token }}) with permissions: pull-requests: write' };
  const repo = env['GITHUB_REPOSITORY'] ?? '';
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) return { problem: `GITHUB_REPOSITORY is not owner/name (got '${repo}')` };
  const eventPath = env['GITHUB_EVENT_PATH'] ?? '';
  if (eventPath === '') return { problem: 'GITHUB_EVENT_PATH is not set: cannot tell which pull request this is' };
  let payload: { number?: unknown; pull_request?: { number?: unknown; head?: { sha?: unknown } } };
  try {
    payload = JSON.parse(await readFile(eventPath, 'utf8')) as typeof payload;
  } catch (err) {
    return { problem: `cannot read the event file GITHUB_EVENT_PATH (${eventPath}): ${err instanceof Error ? err.message : String(err)}` };
  }
  const number = payload.pull_request?.number ?? payload.number;
  if (typeof number !== 'number' || !Number.isInteger(number) || number <= 0) return { problem: `the event file ${eventPath} has no pull request number` };
  const server = (env['GITHUB_SERVER_URL'] ?? 'https://github.com').replace(/\/+$/, '');
  const runId = env['GITHUB_RUN_ID'] ?? '';
  const attempt = env['GITHUB_RUN_ATTEMPT'] ?? '';
  const target: PullRequestTarget = { token, repo, apiUrl: env['GITHUB_API_URL'] || 'https://api.github.com', number };
  const sha = payload.pull_request?.head?.sha;
  if (typeof sha === 'string' && /^[0-9a-f]{7,64}$/.test(sha)) target.headSha = sha;
  if (/^\d+$/.test(runId)) target.runUrl = `${server}/${repo}/actions/runs/${runId}${/^\d+$/.test(attempt) && attempt !== '1' ? `/attempts/${attempt}` : ''}`;
  return { target };
}

export interface PostOptions {
  configFile: string;
  config: Config;
  full: boolean;
  env: NodeJS.ProcessEnv;
  /** Where notes and warnings go (the runner reads workflow commands from stderr too). */
  stderr: { write(chunk: string): unknown };
}

/** Writes or updates the plan comment. Never throws and never changes the exit code: every failure is a warning. */
export async function postPlanComment(result: RunResult, opts: PostOptions): Promise<'created' | 'updated' | 'skipped' | 'failed'> {
  const found = await pullRequestTarget(opts.env);
  if ('skip' in found) {
    opts.stderr.write(`acsync plan: --pr-comment: ${found.skip}\n`);
    return 'skipped';
  }
  const token = 'target' in found ? found.target.token : '';
  const warn = (message: string): 'failed' => {
    // Belt and braces: no message may carry the token, whatever GitHub or the network put in it.
    const safe = token === '' ? message : message.split(token).join('***');
    opts.stderr.write(`::warning title=${escapeProperty('acsync plan --pr-comment')}::${escapeData(safe)}\n`);
    return 'failed';
  };
  if ('problem' in found) return warn(`no pull request comment: ${found.problem}`);
  const t = found.target;
  const connectionNames: Record<string, string> = {};
  for (const c of Object.values(opts.config.connections)) connectionNames[c.id] = c.displayName;
  const configPath = markerPath(opts.configFile, opts.env);
  const body = renderPlanComment(result, {
    configPath,
    full: opts.full,
    connectionNames,
    ...(t.runUrl !== undefined ? { runUrl: t.runUrl } : {}),
    ...(t.headSha !== undefined ? { headSha: t.headSha } : {}),
  });
  const gh = new GitHubClient({ apiUrl: t.apiUrl, token: t.token });
  const marker = commentMarker(configPath);
  try {
    const existing = (await gh.listIssueComments(t.repo, t.number)).find((c) => typeof c.body === 'string' && c.body.startsWith(marker));
    if (existing !== undefined) {
      await gh.updateIssueComment(t.repo, existing.id, body);
      opts.stderr.write(`acsync plan: updated the plan comment on pull request #${t.number} (${configPath})\n`);
      return 'updated';
    }
    await gh.createIssueComment(t.repo, t.number, body);
    opts.stderr.write(`acsync plan: commented the plan on pull request #${t.number} (${configPath})\n`);
    return 'created';
  } catch (err) {
    if (err instanceof GitHubHttpError && (err.status === 403 || err.status === 404)) {
      return warn(
        `could not comment on pull request #${t.number}: ${err.message}. A pull request from a fork gets a read-only GITHUB_TOKEN, so no comment can be written; the plan is in the step summary. Otherwise give the job permissions: pull-requests: write.`,
      );
    }
    const message =
      err instanceof GitHubHttpError
        ? err.message
        : `${err instanceof Error ? ((err as { code?: string }).code ?? err.name) : 'error'}: ${err instanceof Error ? err.message : String(err)}`;
    return warn(`could not comment on pull request #${t.number}: ${message}; the plan is in the step summary`);
  }
}
