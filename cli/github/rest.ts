/**
 * The little of GitHub's REST API that `plan --pr-comment` needs, through undici with timeouts. The token is sent
 * in the Authorization header and nowhere else: it is never part of a URL, a message or an error.
 * https://docs.github.com/rest/issues/comments
 */
import { request } from 'undici';

/** Per request: time to the response headers, and between body chunks. */
export const GITHUB_TIMEOUT_MS = 15_000;
/** Comments are read 100 at a time (GitHub's maximum); this many pages at most (10,000 comments). */
export const MAX_COMMENT_PAGES = 100;

export interface IssueComment {
  id: number;
  body?: string;
  html_url?: string;
}

/** A non-2xx answer: the status and GitHub's `message` (never the request's headers). */
export class GitHubHttpError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly githubMessage: string,
  ) {
    super(`GitHub answered ${status} to ${method} ${path}${githubMessage === '' ? '' : `: ${githubMessage}`}`);
  }
}

export interface GitHubClientOptions {
  apiUrl: string;
  token: string;
  timeoutMs?: number;
}

export class GitHubClient {
  private readonly apiUrl: string;
  constructor(private readonly opts: GitHubClientOptions) {
    this.apiUrl = opts.apiUrl.replace(/\/+$/, '');
  }

  private async call(method: 'GET' | 'POST' | 'PATCH', pathOrUrl: string, body?: unknown): Promise<{ json: unknown; link: string | undefined }> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.apiUrl}${pathOrUrl}`;
    const timeout = this.opts.timeoutMs ?? GITHUB_TIMEOUT_MS;
    const res = await request(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${this.opts.token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'acsync',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: AbortSignal.timeout(timeout * 2),
    });
    const text = await res.body.text();
    const shownPath = new URL(url).pathname;
    if (res.statusCode < 200 || res.statusCode >= 300) {
      let message = '';
      try {
        message = String((JSON.parse(text) as { message?: unknown }).message ?? '');
      } catch {
        message = '';
      }
      throw new GitHubHttpError(res.statusCode, method, shownPath, message.slice(0, 300));
    }
    const link = res.headers['link'];
    return { json: text === '' ? undefined : JSON.parse(text), link: Array.isArray(link) ? link.join(', ') : link };
  }

  /** Every comment of an issue or pull request, following the Link header's rel="next". */
  async listIssueComments(repo: string, issue: number): Promise<IssueComment[]> {
    const out: IssueComment[] = [];
    let next: string | undefined = `/repos/${repo}/issues/${issue}/comments?per_page=100`;
    for (let page = 0; next !== undefined && page < MAX_COMMENT_PAGES; page++) {
      const { json, link } = await this.call('GET', next);
      if (Array.isArray(json)) out.push(...(json as IssueComment[]));
      next = nextLink(link);
      // Only follow links to the same API: a Link header is data from the network.
      if (next !== undefined && !next.startsWith(this.apiUrl + '/')) next = undefined;
    }
    return out;
  }

  async createIssueComment(repo: string, issue: number, body: string): Promise<IssueComment> {
    return (await this.call('POST', `/repos/${repo}/issues/${issue}/comments`, { body })).json as IssueComment;
  }

  async updateIssueComment(repo: string, id: number, body: string): Promise<IssueComment> {
    return (await this.call('PATCH', `/repos/${repo}/issues/comments/${id}`, { body })).json as IssueComment;
  }
}

/** The rel="next" URL of a Link header (`<https://…?page=2>; rel="next", <…>; rel="last"`). */
export function nextLink(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m !== null && m[2]!.split(/\s+/).includes('next')) return m[1];
  }
  return undefined;
}
