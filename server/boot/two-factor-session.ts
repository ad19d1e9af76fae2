import type { Context } from 'koa';
import * as z from 'zod';

/**
 * What the two-factor pages keep in the page session between requests (the signed session
 * cookie): the second step of a sign-in, a TOTP secret being enrolled (sealed, so the cookie never
 * carries it readable), and a WebAuthn challenge (one use, a few minutes).
 */

const pendingSchema = z.object({
  ticket: z.string(),
  wrong: z.number().int().min(0),
  remember: z.boolean(),
  next: z.string(),
});
export type PendingSecondStep = z.infer<typeof pendingSchema>;

const challengeSchema = z.object({ value: z.string(), purpose: z.string(), at: z.number() });

/** A challenge older than this is refused (the browser's prompt itself times out sooner). */
const CHALLENGE_MS = 5 * 60 * 1000;

export function pendingSecondStep(ctx: Context): PendingSecondStep | null {
  const parsed = pendingSchema.safeParse(ctx.session?.secondStep);
  return parsed.success ? parsed.data : null;
}

export function holdSecondStep(ctx: Context, pending: PendingSecondStep | null): void {
  if (!ctx.session) return;
  if (pending) ctx.session.secondStep = pending;
  else delete ctx.session.secondStep;
}

export function enrolmentSecret(ctx: Context): string | null {
  const sealed = ctx.session?.totpEnrolment;
  return typeof sealed === 'string' && sealed ? sealed : null;
}

export function holdEnrolmentSecret(ctx: Context, sealed: string | null): void {
  if (!ctx.session) return;
  if (sealed) ctx.session.totpEnrolment = sealed;
  else delete ctx.session.totpEnrolment;
}

/** Keeps a challenge for one `purpose` ('register', 'login', 'second-step'). */
export function holdChallenge(ctx: Context, purpose: string, value: string, now: Date): void {
  if (ctx.session) ctx.session.passkeyChallenge = { value, purpose, at: now.getTime() };
}

/** The challenge for `purpose`, spent: a response can be checked against it once. */
export function takeChallenge(ctx: Context, purpose: string, now: Date): string {
  const parsed = challengeSchema.safeParse(ctx.session?.passkeyChallenge);
  if (ctx.session) delete ctx.session.passkeyChallenge;
  if (!parsed.success || parsed.data.purpose !== purpose) return '';
  const age = now.getTime() - parsed.data.at;
  return age >= 0 && age <= CHALLENGE_MS ? parsed.data.value : '';
}
