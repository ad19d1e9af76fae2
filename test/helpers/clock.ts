import type { Clock } from '../../server/auth/types.js';

export type FakeClock = Clock & { advance(seconds: number): void; set(date: Date): void };

/** A clock that moves only when told: "valid at TTL, refused at TTL+1" without waiting. */
export function createFakeClock(start = new Date('2026-01-01T00:00:00.000Z')): FakeClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(seconds) {
      current += seconds * 1000;
    },
    set(date) {
      current = date.getTime();
    },
  };
}
