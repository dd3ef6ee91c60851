/**
 * A local fake of the part of GitHub's REST API that `plan --pr-comment` uses, over loopback (a real node:http
 * server): issue comments listed (paginated with a Link header, at most per_page=100), created and updated. Tokens
 * are checked like GitHub does: an unknown token is a 401, a read-only one (a fork's pull request) a 403 on writes,
 * and a body over 65,536 characters a 422. Every request is recorded for the tests to look at.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: string };
  html_url: string;
}

export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

export const GITHUB_MAX_COMMENT = 65_536;

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  /** Comments by `owner/repo#number`. */
  readonly comments = new Map<string, FakeComment[]>();
  readonly writeTokens = new Set<string>();
  readonly readOnlyTokens = new Set<string>();
  private nextId = 1000;
  private server!: http.Server;
  url = '';

  static async start(): Promise<FakeGitHub> {
    const gh = new FakeGitHub();
    gh.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => gh.handle(req, body, res));
    });
    await new Promise<void>((resolve) => gh.server.listen(0, '127.0.0.1', resolve));
    gh.url = `http://127.0.0.1:${(gh.server.address() as AddressInfo).port}`;
    return gh;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Adds comments to a pull request as other people or bots would have written them. */
  seed(repo: string, pr: number, bodies: string[], login = 'someone'): FakeComment[] {
    const list = this.list(repo, pr);
    const added = bodies.map((body) => this.make(repo, pr, body, login));
    list.push(...added);
    return added;
  }

  list(repo: string, pr: number): FakeComment[] {
    const key = `${repo}#${pr}`;
    let list = this.comments.get(key);
    if (list === undefined) {
      list = [];
      this.comments.set(key, list);
    }
    return list;
  }

  private make(repo: string, pr: number, body: string, login: string): FakeComment {
    const id = this.nextId++;
    return { id, body, user: { login, type: login.endsWith('[bot]') ? 'Bot' : 'User' }, html_url: `https://github.example/${repo}/pull/${pr}#issuecomment-${id}` };
  }

  /** Answers one request; returns what `send` returned, so each branch can end with `return send(...)`. */
  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): true {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? '', url: url.pathname + url.search, authorization: req.headers.authorization, body });
    const send = (status: number, json: unknown, headers: Record<string, string> = {}): true => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(json));
      return true;
    };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined || (!this.writeTokens.has(token) && !this.readOnlyTokens.has(token))) return send(401, { message: 'Bad credentials' });
    if (req.headers['x-github-api-version'] !== '2022-11-28' || req.headers['user-agent'] === undefined) return send(400, { message: 'missing headers' });

    const list = /^\/repos\/([\w.-]+\/[\w.-]+)\/issues\/(\d+)\/comments$/.exec(url.pathname);
    const one = /^\/repos\/([\w.-]+\/[\w.-]+)\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && list !== null) {
      const perPage = Number(url.searchParams.get('per_page') ?? '30');
      const page = Number(url.searchParams.get('page') ?? '1');
      if (!(perPage >= 1 && perPage <= 100)) return send(422, { message: 'per_page must be 1..100' });
      const all = this.list(list[1]!, Number(list[2]));
      const pages = Math.max(1, Math.ceil(all.length / perPage));
      const link = (p: number, rel: string) => `<${this.url}${url.pathname}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
      const links = [...(page < pages ? [link(page + 1, 'next'), link(pages, 'last')] : []), ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : [])];
      return send(200, all.slice((page - 1) * perPage, page * perPage), links.length > 0 ? { link: links.join(', ') } : {});
    }
    if ((req.method === 'POST' && list !== null) || (req.method === 'PATCH' && one !== null)) {
      if (this.readOnlyTokens.has(token)) return send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' });
      let text: unknown;
      try {
        text = (JSON.parse(body) as { body?: unknown }).body;
      } catch {
        return send(400, { message: 'Problems parsing JSON' });
      }
      if (typeof text !== 'string') return send(422, { message: 'Validation Failed' });
      if (text.length > GITHUB_MAX_COMMENT) return send(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }] });
      if (list !== null) {
        const c = this.make(list[1]!, Number(list[2]), text, 'github-actions[bot]');
        this.list(list[1]!, Number(list[2])).push(c);
        return send(201, c);
      }
      for (const comments of this.comments.values()) {
        const c = comments.find((x) => x.id === Number(one![2]));
        if (c !== undefined) {
          c.body = text;
          return send(200, c);
        }
      }
      return send(404, { message: 'Not Found' });
    }
    return send(404, { message: 'Not Found' });
  }
}
