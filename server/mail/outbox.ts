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
  // The messages this mailer wrote (the folder may hold other files, and `.…tmp` ones mid-write);
  // none before the first message creates the folder.
  const storedMessages = async (): Promise<string[]> => {
    try {
      return (await readdir(folder)).filter((name) => name.endsWith('.json') && !name.startsWith('.'));
    } catch {
      return [];
    }
  };
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
      const stored = await storedMessages();
      await Promise.all(stored.map((name) => rm(path.join(folder, name), { force: true })));
    },
    async list() {
      const newest = (await storedMessages()).sort().reverse().slice(0, SHOWN_AT_MOST);
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
