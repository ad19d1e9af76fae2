import assert from 'node:assert/strict';
import type { z } from 'zod';
import { errorSchema, loginResultSchema, userSchema } from '../../server/api/schemas.js';
import type { TestApp } from '../helpers/app.js';

export const PASSWORD = 'correct horse battery staple';

export type ApiResponse = { status: number; headers: Headers; text: string; json: unknown };

export type RequestOptions = {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (with its own content-type header). */
  raw?: string;
  headers?: Record<string, string>;
  token?: string;
};

/** A JSON client for the API over real HTTP. Redirects are not followed, so tests see each 302. */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = options.token;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await fetch(new URL(path, this.baseUrl), { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    let json: unknown = null;
    if (response.headers.get('content-type')?.includes('json') && text) json = JSON.parse(text);
    return { status: response.status, headers: response.headers, text, json };
  }

  get(path: string, options?: RequestOptions) {
    return this.request('GET', path, options);
  }
  post(path: string, options?: RequestOptions) {
    return this.request('POST', path, options);
  }
  patch(path: string, options?: RequestOptions) {
    return this.request('PATCH', path, options);
  }
  delete(path: string, options?: RequestOptions) {
    return this.request('DELETE', path, options);
  }
}

/** The LoopBack error of a response, checked against the documented envelope. */
export function errorOf(response: ApiResponse) {
  return errorSchema.strict().parse(response.json).error;
}

/** Asserts the status and the LoopBack error code in one go, showing the body when they differ. */
export function assertError(response: ApiResponse, status: number, code: string) {
  assert.equal(response.status, status, response.text);
  assert.equal(errorOf(response).code, code, response.text);
}

/** A user as answered, with exactly the documented fields (strict: a hash would fail it). */
export const strictUser = userSchema.strict();
export const strictLogin = loginResultSchema.extend({ user: strictUser.optional() }).strict();

/** The link to `path` in the next mail to `email` (waits for it). */
export async function linkFrom(app: TestApp, email: string, path: string): Promise<URL> {
  // The next mail with such a link: a notice (a new sign-in, a password change) may come between.
  const mail = await app.mail.waitFor(email, 30_000, (caught) =>
    caught.links.some((candidate) => new URL(candidate).pathname === path),
  );
  const link = mail.links.find((candidate) => new URL(candidate).pathname === path);
  assert.ok(link, `the mail to ${email} carries a ${path} link`);
  return new URL(link);
}

/** Signs up through the API and confirms the email with the emailed link's uid and token. */
export async function signUpVerified(
  app: TestApp,
  api: ApiClient,
  email: string,
  extra: { username?: string; password?: string } = {},
): Promise<z.infer<typeof userSchema>> {
  const created = await api.post('/api/users', { body: { email, password: PASSWORD, ...extra } });
  assert.equal(created.status, 200, created.text);
  const user = strictUser.parse(created.json);
  const link = await linkFrom(app, email, '/verify');
  const query = new URLSearchParams({
    uid: link.searchParams.get('uid') ?? '',
    token: link.searchParams.get('token') ?? '',
  });
  const confirmed = await api.get(`/api/users/confirm?${query}`);
  assert.equal(confirmed.status, 204, confirmed.text);
  return { ...user, emailVerified: true };
}

/** Logs in through the API and returns the token secret. */
export async function logInToken(api: ApiClient, email: string, password = PASSWORD): Promise<string> {
  const login = await api.post('/api/users/login', { body: { email, password } });
  assert.equal(login.status, 200, login.text);
  return strictLogin.parse(login.json).id;
}
