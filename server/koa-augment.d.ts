// Types the packages leave out (TOOLCHAIN traps 5 and 6).
import 'koa';

declare module 'koa' {
  interface SessionData {
    /** The access token secret of a logged-in browser. */
    token?: string;
    /** The per-session secret CSRF tokens are derived from. */
    csrfSecret?: string;
    [key: string]: unknown;
  }
  interface ExtendableContext {
    /** koa-session; `null` to clear, an object to start afresh. */
    session: (SessionData & { maxAge: number | 'session'; regenerate(): Promise<void> | undefined }) | null;
    /** @koa/ejs */
    render(view: string, locals?: Record<string, unknown>): Promise<string>;
  }
}
