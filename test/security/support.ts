import assert from 'node:assert/strict';
import { emailKey, usernameKey } from '../../server/auth/canonical.js';
import type { TestApp } from '../helpers/app.js';
import { FormClient, type Page } from '../helpers/browser.js';

export const PASSWORD = 'correct horse battery staple';

/** A verified account written straight to the store (hashed by the app's own hasher), no mail needed. */
export async function seedUser(
  app: TestApp,
  email: string,
  options: { username?: string; password?: string; verified?: boolean } = {},
): Promise<number> {
  const emailKeyOf = emailKey(email);
  assert.ok(emailKeyOf, `${email} is a canonical email`);
  const user = await app.store.createUser({
    email,
    emailKey: emailKeyOf,
    username: options.username ?? null,
    usernameKey: options.username ? usernameKey(options.username) : null,
    passwordHash: await app.server.deps.hasher.hash(options.password ?? PASSWORD, 4),
    emailVerified: options.verified ?? true,
    created: new Date().toISOString(),
  });
  return user.id;
}

/** A browser that has loaded the index page, so it holds a session and a CSRF token. */
export async function freshBrowser(app: TestApp, headers: Record<string, string> = {}): Promise<FormClient> {
  const browser = new FormClient(app.url);
  await browser.get('/', headers);
  return browser;
}

export type ApiResponse = { status: number; headers: Headers; text: string; json: unknown };

/** A JSON request to the API, the way an API client sends it. */
export async function api(
  app: Pick<TestApp, 'url'>,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const response = await fetch(new URL(path, app.url), {
    method,
    redirect: 'manual',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The `error` object of LoopBack's envelope. */
export function errorOf(response: ApiResponse): { statusCode?: number; code?: string; message?: string } {
  return ((response.json as { error?: object } | null)?.error ?? {}) as {
    statusCode?: number;
    code?: string;
  };
}

/** One HTML login attempt from a browser that already holds a CSRF token. */
export function logInWith(
  browser: FormClient,
  email: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<Page> {
  return browser.post('/login', { email, password }, headers);
}

/** Removes what differs between two renderings of the same page (CSRF tokens). */
export function withoutCsrf(html: string): string {
  return html.replace(/name="_csrf" value="[^"]+"/g, '');
}
