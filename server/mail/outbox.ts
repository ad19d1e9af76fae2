import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Mailer, Outbox, OutboxMessage } from './mailer.js';

const SHOWN_AT_MOST = 200;

/** The links in a rendered text body, so the outbox page can make them clickable. */
function linksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>"')]+/g)].map((match) => match[0]);
}

/**
 * Development mail: each message becomes a JSON file in `folder`, listed at /dev/outbox, so every
 * flow can be tried with no mail server. Never used with NODE_ENV=production (config refuses it).
 */
export function createOutboxMailer(folder: string): Mailer & Outbox {
  return {
    async send(email) {
      const created = new Date().toISOString();
      const message: OutboxMessage = { id: randomUUID(), created, links: linksIn(email.text), ...email };
      await mkdir(folder, { recursive: true });
      // Name sorts by time; write-then-rename so the listing never reads half a file.
      const name = `${created.replace(/[:.]/g, '-')}-${message.id}.json`;
      const temp = path.join(folder, `.${name}.tmp`);
      await writeFile(temp, JSON.stringify(message, null, 2));
      await rename(temp, path.join(folder, name));
    },
    async close() {},
    async clear() {
      let names: string[];
      try {
        names = await readdir(folder);
      } catch {
        return;
      }
      // Only the messages this mailer wrote: the folder may sit beside other files.
      const stored = names.filter((name) => name.endsWith('.json') && !name.startsWith('.'));
      await Promise.all(stored.map((name) => rm(path.join(folder, name), { force: true })));
    },
    async list() {
      let names: string[];
      try {
        names = await readdir(folder);
      } catch {
        return [];
      }
      const newest = names
        .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
        .sort()
        .reverse()
        .slice(0, SHOWN_AT_MOST);
      const messages = await Promise.all(
        newest.map(async (name) => {
          try {
            return JSON.parse(await readFile(path.join(folder, name), 'utf8')) as OutboxMessage;
          } catch {
            return null;
          }
        }),
      );
      return messages.filter((message): message is OutboxMessage => message !== null);
    },
  };
}
