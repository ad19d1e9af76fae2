import type { Context } from 'koa';
import * as z from 'zod';
import { AuthError } from '../../auth/errors.js';
import { refuse } from '../../middleware/http-error.js';

/** A form field: a string of at most `max` characters, '' when absent. */
export const text = (max: number) => z.string().max(max).default('');

/**
 * Reads a url-encoded form with its zod schema. Fields arrive as strings; a repeated field arrives
 * as an array and is refused with a 400 page, never a 500.
 */
export function readForm<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) throw refuse(400, 'INVALID_FORM', 'The form was not filled in correctly.');
  return parsed.data;
}

/** The request's form body read with `schema`. */
export function readBody<T extends z.ZodType>(schema: T, ctx: Context): z.infer<T> {
  return readForm(schema, ctx.request.body);
}

/** Words for a form: `field.code` → sentence; `field` alone is the field's fallback. */
export type FieldMessages = Readonly<Record<string, string>>;

/**
 * The first problem of each field as words from the form's own table. The domain names problems by
 * code only; a code the table does not know falls back to the field's general sentence, so a new
 * rule never shows a blank or LoopBack's API wording on a page.
 */
export function fieldErrors(error: AuthError, messages: FieldMessages): Record<string, string> {
  const codes = error.problems ?? error.details?.codes ?? {};
  return Object.fromEntries(
    Object.entries(codes).map(([field, list]) => {
      const code = list[0] ?? '';
      const message =
        messages[`${field}.${code}`] ?? messages[code] ?? messages[field] ?? 'Check this field.';
      return [field, message];
    }),
  );
}

/** True when the domain refused the input field by field (a ValidationError). */
export function isValidationError(error: unknown): error is AuthError {
  return error instanceof AuthError && (error.problems ?? error.details?.codes) !== undefined;
}

/** True when the domain refused with this code. */
export function hasCode(error: unknown, ...codes: string[]): error is AuthError {
  return error instanceof AuthError && codes.includes(error.code);
}
