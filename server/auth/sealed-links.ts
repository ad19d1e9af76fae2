import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Emailed links carry a token secret. While a message waits in the store for the mail server, its
 * link is sealed (AES-256-GCM, key derived from SESSION_KEYS), so a copied data folder still opens
 * no account: the key lives in the environment, not beside the data.
 */
export type LinkSealer = {
  seal(link: string): string;
  /** Throws if the text was not sealed with one of the keys (tampered, or the keys changed). */
  open(sealed: string): string;
};

const VERSION = 'v1';

function deriveKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'koa-user-management', 'queued-mail-link', 32));
}

/** Seals with the first key; opens with any of them, so SESSION_KEYS can be rotated. */
export function createLinkSealer(secrets: readonly string[]): LinkSealer {
  if (secrets.length === 0) throw new Error('createLinkSealer needs at least one key');
  const keys = secrets.map(deriveKey);
  return {
    seal(link) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys[0]!, iv);
      const body = Buffer.concat([cipher.update(link, 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), body]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed link');
      for (const key of keys) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
          decipher.setAuthTag(Buffer.from(tag, 'base64url'));
          return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
            'utf8',
          );
        } catch {
          // try the next key
        }
      }
      throw new Error('the link was sealed with a key that is no longer configured');
    },
  };
}
