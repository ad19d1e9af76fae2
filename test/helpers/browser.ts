import { until } from './until.js';

/**
 * A cookie-keeping HTTP client that fills forms the way a browser does: it reads the page's
 * `_csrf` field and posts url-encoded bodies. Redirects are not followed, so tests see each 303.
 */
export class FormClient {
  readonly cookies = new Map<string, string>();
  lastCsrf = '';

  constructor(readonly baseUrl: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Page> {
    const response = await fetch(new URL(path, this.baseUrl), {
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), ...headers },
    });
    return this.read(response);
  }

  /**
   * Opens a page as a person's browser navigates to it: same-site 303s are followed, so the client
   * ends on the page that was shown (a logged-in browser asking for `/` lands on /home) and keeps
   * the CSRF token of that page's forms.
   */
  async open(path: string, headers: Record<string, string> = {}): Promise<Page> {
    let page = await this.get(path, headers);
    for (let hop = 0; hop < 5 && page.location?.startsWith('/'); hop++)
      page = await this.get(page.location, headers);
    return page;
  }

  /** Posts a form; `_csrf` is taken from the last page this client loaded unless given. */
  async post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Page> {
    const body = new URLSearchParams({ _csrf: this.lastCsrf, ...fields });
    const response = await fetch(new URL(path, this.baseUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: this.cookieHeader(),
        ...headers,
      },
      body,
    });
    return this.read(response);
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async read(response: Response): Promise<Page> {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((attribute) => /expires=Thu, 01 Jan 1970/i.test(attribute));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const html = await response.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (csrf) this.lastCsrf = csrf;
    return {
      status: response.status,
      html,
      headers: response.headers,
      location: response.headers.get('location'),
    };
  }
}

export type Page = { status: number; html: string; headers: Headers; location: string | null };

/** The path and query of an emailed link, so a client on another base URL can open it. */
export function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

/**
 * The dev outbox page once it shows every one of `texts` (emails are written after the answer
 * that queued them), as the browser loaded it last.
 */
export async function outboxShowing(browser: FormClient, ...texts: string[]): Promise<Page> {
  let page: Page | undefined;
  await until(`the outbox showing ${texts.join(', ')}`, async () => {
    page = await browser.get('/dev/outbox');
    return texts.every((text) => page?.html.includes(text));
  });
  return page as Page;
}
