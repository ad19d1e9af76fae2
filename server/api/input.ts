import type { z } from 'zod';
import { HttpError, refuse } from '../middleware/http-error.js';

/**
 * How a request's bad input is reported, as LoopBack did: fields of a model (the user, the token's
 * ttl) fail its validation with `422 ValidationError`; arguments of a remote method (newPassword,
 * uid, …) fail strong-remoting's argument check with a `400`.
 */
export type InputKind = 'model' | 'argument';

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** LoopBack's validation codes for zod's issues. */
function codeOf(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return valueAt(input, issue.path) === undefined ? 'presence' : 'type';
    case 'invalid_union':
      return 'type';
    case 'too_small':
    case 'too_big':
    case 'custom':
      return 'numericality';
    default:
      return 'format';
  }
}

/** Parses `input` or throws the error LoopBack would answer with, naming each bad field. */
export function readInput<T extends z.ZodType>(schema: T, input: unknown, kind: InputKind): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const codes: Record<string, string[]> = {};
  const messages: Record<string, string[]> = {};
  for (const issue of parsed.error.issues) {
    if (issue.path.length === 0)
      throw refuse(400, 'INVALID_ARGUMENT', 'The request body must be a JSON object.');
    const field = issue.path.map(String).join('.');
    codes[field] = [...(codes[field] ?? []), codeOf(issue, input)];
    messages[field] = [...(messages[field] ?? []), issue.message];
  }
  const details = { codes, messages };
  if (kind === 'model') {
    const summary = Object.entries(messages)
      .map(([field, list]) => `\`${field}\` ${list.join('; ')}`)
      .join('; ');
    return fail(422, 'VALIDATION_ERROR', `The \`user\` instance is not valid. Details: ${summary}.`, {
      name: 'ValidationError',
      details,
    });
  }
  const summary = Object.entries(messages)
    .map(([field, list]) => `${field} ${list.join('; ')}`)
    .join('; ');
  return fail(400, 'INVALID_ARGUMENT', `Invalid argument: ${summary}.`, { details });
}

function fail(...args: ConstructorParameters<typeof HttpError>): never {
  throw new HttpError(...args);
}

/** Whether `input` holds a field at all (even null): PATCH's password check. */
export const hasField = (input: unknown, name: string) => valueAt(input, [name]) !== undefined;

/** The relation names one LoopBack `include` value asks for: a name, a list, `{relation}` or `{name: …}`. */
function relationsOf(value: unknown): string[] {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^[[{"]/.test(trimmed)) {
      try {
        return relationsOf(JSON.parse(trimmed));
      } catch {
        throw refuse(400, 'INVALID_ARGUMENT', 'include is not valid JSON.');
      }
    }
    return trimmed.split(',').map((part) => part.trim());
  }
  if (Array.isArray(value)) return value.flatMap(relationsOf);
  if (value && typeof value === 'object') {
    const relation = (value as { relation?: unknown }).relation;
    return typeof relation === 'string' ? [relation] : Object.keys(value);
  }
  return [];
}

/**
 * The relations a request's query asks to include, in every form LoopBack 3 accepts:
 * `include=user`, `include=user,other`, `include[]=user`, `include[0]=user` (what
 * loopback-connector-remote sends), `include=["user"]`, `include={"user":true}`,
 * `filter={"include":"user"}` and `filter[include]=user`.
 */
export function includedRelations(querystring: string): string[] {
  const found: string[] = [];
  for (const [key, value] of new URLSearchParams(querystring)) {
    if (/^(filter\[include\]|include)(\[\d*\])?$/.test(key)) found.push(...relationsOf(value));
    if (key === 'filter') {
      let filter: unknown;
      try {
        filter = JSON.parse(value);
      } catch {
        throw refuse(400, 'INVALID_ARGUMENT', 'filter is not valid JSON.');
      }
      if (filter && typeof filter === 'object')
        found.push(...relationsOf((filter as { include?: unknown }).include));
    }
  }
  return found;
}
