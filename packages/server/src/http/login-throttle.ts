import { OverloadedError } from '../errors.js';

export interface LoginThrottleOptions {
  /** Failed sign-ins allowed per email from one address within the window. */
  perAccount?: number;
  /** Failed sign-ins allowed from one address within the window, whatever the email. */
  perAddress?: number;
  windowMs?: number;
  clock?: () => number;
}

/**
 * Counts sign-in attempts in a fixed window per (address, email) and per address, and refuses
 * further attempts with 429 until the window ends. An attempt is counted when it starts, before
 * any await, so a burst of parallel guesses cannot all pass the check; a success gives it back. Kept in memory: each instance throttles on
 * its own, so N instances allow N times the attempts, still far too few to guess a password.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; until: number }>();
  private readonly perAccount: number;
  private readonly perAddress: number;
  private readonly windowMs: number;
  private readonly clock: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.perAccount = options.perAccount ?? 5;
    this.perAddress = options.perAddress ?? 20;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Counts an attempt, or throws 429 `too_many_attempts` while either count is at its limit.
   * Synchronous on purpose: the count is taken before the caller's first await.
   */
  attempt(address: string, email: string): void {
    const keys = this.keys(address, email);
    for (const [key, limit] of keys) {
      const entry = this.current(key);
      if (entry && entry.count >= limit) {
        throw new OverloadedError(
          'too_many_attempts',
          'too many failed attempts; wait before trying again',
          Math.ceil((entry.until - this.clock()) / 1000),
        );
      }
    }
    if (this.failures.size > 100_000) this.sweep();
    for (const [key] of keys) {
      const entry = this.current(key) ?? { count: 0, until: this.clock() + this.windowMs };
      entry.count++;
      this.failures.set(key, entry);
    }
  }

  /** A success clears the account's count and gives back its attempt on the address's. */
  succeed(address: string, email: string): void {
    const [account, perAddress] = this.keys(address, email);
    if (account) this.failures.delete(account[0]);
    const entry = perAddress && this.current(perAddress[0]);
    if (entry && entry.count > 0) entry.count--;
  }

  private keys(address: string, email: string): [string, number][] {
    return [
      [`${address}\u0000${email.trim().toLowerCase()}`, this.perAccount],
      [address, this.perAddress],
    ];
  }

  private current(key: string) {
    const entry = this.failures.get(key);
    if (entry && entry.until <= this.clock()) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep() {
    for (const key of [...this.failures.keys()]) this.current(key);
  }
}
