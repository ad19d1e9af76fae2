/** Sends the app's emails. Links arrive already built from APP_URL by the domain. */
export interface Mailer {
  sendVerification(to: string, link: string): Promise<void>;
  sendPasswordReset(to: string, link: string): Promise<void>;
  /** Tells an account's owner that someone tried to sign up with their address. */
  sendSignupAttempt(to: string, link: string): Promise<void>;
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
}
