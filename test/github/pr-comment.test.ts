/**
 * `acsync plan --pr-comment`: the real CLI as a subprocess, with the variables a GitHub runner sets, against the
 * emulator and a fake of GitHub's REST API (test/helpers/fake-github.ts), both over loopback.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commentMarker, renderPlanComment, truncateMarkdown } from '../../cli/github/pr-comment.ts';
import { nextLink } from '../../cli/github/rest.ts';
import { FakeGitHub, GITHUB_MAX_COMMENT } from '../helpers/fake-github.ts';
import { type CliRun, csv, runBin, type Workspace, withEmulatorWorkspace } from '../helpers/workspace.ts';

const TOKEN = 'ghs_fakeToken0123456789abcdefghijklmnopqr';
const READ_ONLY = 'ghs_forkToken0123456789abcdefghijklmnopq';
const REPO = 'contoso/segments';
const PR = 42;

let gh: FakeGitHub;
let ws: Workspace;

const setup = withEmulatorWorkspace();
beforeAll(async () => {
  gh = await FakeGitHub.start();
  gh.writeTokens.add(TOKEN);
  gh.readOnlyTokens.add(READ_ONLY);
});
afterAll(async () => {
  await gh.stop();
});
beforeEach(async () => {
  ({ ws } = setup);
  gh.comments.clear();
  gh.requests.length = 0;
  await ws.write('seg.csv', csv([['anna.karlsson@contoso.example', 'Annika', 'Lindqvist', '+46 70 123 45 67', 'Gold'], ['ben@contoso.example', 'Benedikt', 'Okafor'], ['oops', 'Bad']]));
  await ws.config([{ segment: 'seg.csv' }]);
  await writeFile(path.join(ws.dir, 'event.json'), JSON.stringify({ action: 'synchronize', number: PR, pull_request: { number: PR, head: { sha: 'abcdef0123456789abcdef0123456789abcdef01' } } }));
  await writeFile(path.join(ws.dir, 'summary.md'), '');
});

function runnerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...ws.env,
    CI: 'true',
    NO_COLOR: '1',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: path.join(ws.dir, 'event.json'),
    GITHUB_REPOSITORY: REPO,
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '987654321',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKSPACE: ws.dir,
    GITHUB_STEP_SUMMARY: path.join(ws.dir, 'summary.md'),
    ...extra,
  };
}

/** The real bin as a subprocess with exactly the runner's env. */
function cli(args: string[], env: NodeJS.ProcessEnv = runnerEnv()): Promise<CliRun> {
  return runBin(args, { cwd: ws.dir, env });
}

const comments = () => gh.list(REPO, PR);
const writes = () => gh.requests.filter((r) => r.method !== 'GET');

describe('acsync plan --pr-comment', { timeout: 90_000 }, () => {
  it('creates one comment with the masked plan, a marker naming the config, and a link to the run', async () => {
    const r = await cli(['plan', '--pr-comment', '--detailed-exitcode']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`commented the plan on pull request #${PR}`);
    expect(comments()).toHaveLength(1);
    const body = comments()[0]!.body;
    expect(body.startsWith(commentMarker('acsync.yaml'))).toBe(true);
    expect(body).toContain('## 📝 acsync plan');
    expect(body).toContain('a***@contoso.example');
    expect(body).toContain('[workflow run](https://github.example/contoso/segments/actions/runs/987654321)');
    expect(body).toContain('commit abcdef0');
    expect(writes().map((w) => w.method)).toEqual(['POST']);
    expect(gh.requests.every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('updates the same comment on the next push instead of adding one', async () => {
    await cli(['plan', '--pr-comment']);
    const id = comments()[0]!.id;
    await ws.write('seg.csv', csv([['ben@contoso.example', 'Benedikt', 'Okafor']]));
    gh.requests.length = 0;
    const r = await cli(['plan', '--pr-comment']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`updated the plan comment on pull request #${PR}`);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.id).toBe(id);
    expect(comments()[0]!.body).not.toContain('a***@contoso.example');
    expect(writes().map((w) => `${w.method} ${w.url}`)).toEqual([`PATCH /repos/${REPO}/issues/comments/${id}`]);
  });

  it('finds its comment on a later page of a long conversation (Link header, per_page=100)', async () => {
    gh.seed(REPO, PR, Array.from({ length: 230 }, (_, i) => `review comment ${i}`));
    // Another tool's comment and an acsync comment for another config in the same repository: neither is ours.
    gh.seed(REPO, PR, [`${commentMarker('other/acsync.yaml')}\nold plan of the other config`, 'lgtm'], 'github-actions[bot]');
    const [ours] = gh.seed(REPO, PR, [`${commentMarker('acsync.yaml')}\nan old plan`], 'github-actions[bot]');
    gh.seed(REPO, PR, ['one more']);
    await cli(['plan', '--pr-comment']);
    const gets = gh.requests.filter((q) => q.method === 'GET').map((q) => q.url);
    expect(gets).toEqual([`/repos/${REPO}/issues/${PR}/comments?per_page=100`, `/repos/${REPO}/issues/${PR}/comments?per_page=100&page=2`, `/repos/${REPO}/issues/${PR}/comments?per_page=100&page=3`]);
    expect(writes().map((w) => `${w.method} ${w.url}`)).toEqual([`PATCH /repos/${REPO}/issues/comments/${ours!.id}`]);
    expect(comments()).toHaveLength(234);
    expect(comments().find((c) => c.id === ours!.id)!.body).toContain('## 📝 acsync plan');
    expect(comments().find((c) => c.body.includes('other/acsync.yaml'))!.body).toContain('old plan of the other config');
  });

  it('keeps one comment per config file when a repository has two', async () => {
    await ws.write('emea/seg.csv', csv([['ben@contoso.example', 'Benedikt', 'Okafor']]));
    const main = await readFile(path.join(ws.dir, 'acsync.yaml'), 'utf8');
    await ws.write('emea/acsync.yaml', main);
    await cli(['plan', '--pr-comment']);
    await cli(['plan', '--pr-comment', '-c', 'emea/acsync.yaml']);
    await cli(['plan', '--pr-comment', '-c', 'emea/acsync.yaml']);
    expect(comments()).toHaveLength(2);
    expect(comments().map((c) => c.body.split('\n')[0])).toEqual([commentMarker('acsync.yaml'), commentMarker('emea/acsync.yaml')]);
  });

  it("warns on a fork's read-only token (403) and keeps the plan's exit code; the token is never printed", async () => {
    const r = await cli(['plan', '--pr-comment', '--detailed-exitcode'], runnerEnv({ GITHUB_TOKEN: READ_ONLY }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^::warning title=acsync plan --pr-comment::could not comment on pull request #42: GitHub answered 403 .*Resource not accessible by integration.*fork/m);
    expect(comments()).toHaveLength(0);
    const summary = await readFile(path.join(ws.dir, 'summary.md'), 'utf8');
    for (const text of [r.stdout, r.stderr, summary]) {
      expect(text).not.toContain(READ_ONLY);
      expect(text).not.toContain(TOKEN);
    }
  });

  it('warns, with exit code unchanged, when there is no token or GitHub cannot be reached', async () => {
    const noToken = await cli(['plan', '--pr-comment'], runnerEnv({ GITHUB_TOKEN: '' }));
    expect(noToken.code).toBe(0);
    expect(noToken.stderr).toContain('::warning title=acsync plan --pr-comment::no pull request comment: GITHUB_TOKEN is not set');
    const down = await cli(['plan', '--pr-comment'], runnerEnv({ GITHUB_API_URL: 'http://127.0.0.1:9' }));
    expect(down.code).toBe(0);
    expect(down.stderr).toMatch(/::warning title=acsync plan --pr-comment::could not comment on pull request #42: ECONNREFUSED/);
    expect(down.stderr + down.stdout).not.toContain(TOKEN);
  });

  it('writes no comment outside a pull request event, and says so', async () => {
    const r = await cli(['plan', '--pr-comment'], runnerEnv({ GITHUB_EVENT_NAME: 'push' }));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--pr-comment: the push event is not a pull request: no comment written');
    expect(gh.requests).toHaveLength(0);
  });

  it('masks every email, name and phone even with --no-mask-emails, and the token appears nowhere', async () => {
    const r = await cli(['plan', '--pr-comment', '--no-mask-emails', '--full']);
    expect(r.stdout).toContain('anna.karlsson@contoso.example'); // the log was asked for it...
    const body = comments()[0]!.body;
    for (const personal of ['anna.karlsson@contoso.example', 'ben@contoso.example', 'Annika', 'Lindqvist', 'Benedikt', 'Okafor', '+46 70 123 45 67']) {
      expect(body).not.toContain(personal); // ...the comment never is
    }
    expect(body).toContain('a***@contoso.example');
    expect(body).toContain('b***@contoso.example');
    for (const text of [r.stdout, r.stderr, body, ...gh.requests.map((q) => q.url + q.body)]) expect(text).not.toContain(TOKEN);
  });

  it('masks the personal fields of an update too', async () => {
    await cli(['apply', '--auto-approve'], runnerEnv({ GITHUB_ACTIONS: '' }));
    await ws.write('seg.csv', csv([['anna.karlsson@contoso.example', 'Annegret', 'Lindholm', '+46 70 999 99 99', 'Silver'], ['ben@contoso.example', 'Benedikt', 'Okafor']]));
    await cli(['plan', '--pr-comment', '--no-mask-emails', '--full']);
    const body = comments()[0]!.body;
    expect(body).toContain('Silver'); // custom fields stay readable for review
    for (const personal of ['anna.karlsson', 'Annika', 'Annegret', 'Lindqvist', 'Lindholm', '123 45 67', '999 99 99']) expect(body).not.toContain(personal);
  });

  it('cuts a plan too long for one comment, with a note and a link to the run', async () => {
    const rows = Array.from({ length: 3000 }, (_, i): [string, string, string] => [`person.number.${i}@contoso.example`, `First${i}`, `Last${i}`]);
    await ws.write('seg.csv', csv(rows));
    const r = await cli(['plan', '--pr-comment', '--full', '--detailed-exitcode']);
    expect(r.code).toBe(2);
    expect(comments()).toHaveLength(1);
    const body = comments()[0]!.body;
    expect(body.length).toBeLessThanOrEqual(GITHUB_MAX_COMMENT);
    expect(body.length).toBeGreaterThan(GITHUB_MAX_COMMENT - 2_000);
    expect(body).toContain('The plan is cut here: it is longer than the 65,536 characters GitHub allows in a comment');
    expect(body).toContain("the [workflow run](https://github.example/contoso/segments/actions/runs/987654321)'s summary");
    // The cut closes what it cut into: fences and <details> are balanced.
    expect((body.match(/<details>/g) ?? []).length).toBe((body.match(/<\/details>/g) ?? []).length);
    expect((body.match(/^````?text$/gm) ?? []).length * 2).toBe((body.match(/^````?(text)?$/gm) ?? []).length);
    expect(body).not.toMatch(/person\.number\.\d+@/);
  });
});

describe('comment pieces', () => {
  it('reads the next page from a Link header', () => {
    expect(nextLink('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"')).toBe('https://api.github.com/x?page=2');
    expect(nextLink('<https://api.github.com/x?page=1>; rel="first", <https://api.github.com/x?page=1>; rel="prev"')).toBeUndefined();
    expect(nextLink(undefined)).toBeUndefined();
  });

  it('percent-encodes the config path in the marker so it cannot end the HTML comment', () => {
    expect(commentMarker('deploy/acsync.yaml')).toBe('<!-- acsync-plan-comment config=deploy/acsync.yaml -->');
    expect(commentMarker('a-->b/x--!>.yaml')).not.toMatch(/-->.*-->|--!>/);
  });

  it('truncates Markdown at a line, closing open fences and details', () => {
    const md = ['## t', '', '<details><summary>x</summary>', '', '```text', ...Array.from({ length: 50 }, (_, i) => `line ${i}`), '```', '', '</details>'].join('\n');
    const cut = truncateMarkdown(md, 120);
    expect(cut.length).toBeLessThanOrEqual(120);
    expect(cut.endsWith('```\n</details>')).toBe(true);
    expect(truncateMarkdown(md, 10_000)).toBe(md);
  });

  it('renders a comment within any limit it is given', () => {
    const result = { mode: 'plan' as const, ok: true, changesPending: false, exports: [] };
    const body = renderPlanComment(result, { configPath: 'acsync.yaml', full: false, maxChars: 400 });
    expect(body.length).toBeLessThanOrEqual(400);
    expect(body.startsWith(commentMarker('acsync.yaml'))).toBe(true);
  });
});
