import { EventEmitter } from 'node:events';
import type { AuthEvents } from './types.js';

/** A fresh event bus for one app instance (no module-level singleton). */
export function createAuthEvents(): AuthEvents {
  return new EventEmitter();
}
