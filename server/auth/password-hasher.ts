/**
 * Hashes and compares passwords; the implementation decides where the CPU work runs (server.ts
 * picks the worker pool in hashing/, so the domain never runs bcrypt on the event loop).
 */
export interface PasswordHasher {
  hash(password: string, rounds: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}
