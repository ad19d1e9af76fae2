/**
 * Every kind of email the app sends. The domain names the kind when it queues a message; the
 * table in `mail/kinds.ts` gives each its subject, template and link lifetime.
 */
export type MailKind =
  | 'verify'
  | 'reset'
  | 'signup-attempt'
  | 'email-confirm'
  | 'email-change-notice'
  | 'email-taken-notice'
  // Issue 17: notices of a change to the account's second factors (no link, no token).
  | 'two-factor-on'
  | 'two-factor-off'
  | 'passkey-added'
  | 'passkey-removed'
  | 'recovery-code-used'
  // Issue 18: an operator's invitation to choose a password (`npm run admin -- users create --invite`).
  | 'invite'
  // Issue 14: notices of what happened to the account (links to pages only, never a login).
  | 'password-changed'
  | 'new-sign-in'
  | 'account-deleted';

/** One rendered email, ready for a transport. */
export type OutgoingEmail = { to: string; subject: string; text: string; html: string };

/**
 * A transport only: it delivers what the queue rendered. A rejection with `responseCode` 5xx is a
 * permanent refusal (given up after a few tries); anything else is retried with backoff.
 */
export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close(): Promise<void>;
}

/** A stored development email, as the dev outbox page lists it. */
export type OutboxMessage = {
  id: string;
  to: string;
  subject: string;
  created: string;
  text: string;
  html: string;
  links: string[];
};

/** The development outbox: read side, for `/dev/outbox`. */
export interface Outbox {
  list(): Promise<OutboxMessage[]>;
  /** Deletes every stored message ("Clear outbox"). */
  clear(): Promise<void>;
}
