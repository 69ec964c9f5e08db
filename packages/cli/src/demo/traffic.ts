import type { Switchyard, SwitchyardUser } from '@switchyard/node';

/** mulberry32: a small seeded generator, so every demo run tells the same story. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TrafficOptions {
  gate: string;
  users: number;
  employees: number;
  /** Users (and employees) active in one tick. */
  activePerTick: number;
  requestsPerVisit: number;
  /** Request timeout rate on the old checkout, and on the new one (the regression). */
  timeoutRate: { old: number; new: number };
  /** Chance a visit ends in a purchase, and its mean value. */
  purchaseRate: number;
  meanOrder: number;
  seed: number;
}

export interface TickCounts {
  visits: number;
  onNewCheckout: number;
  requests: number;
  timeouts: number;
  purchases: number;
}

/**
 * A shop's users and employees visiting through the app servers (real SDK instances): each
 * visit checks the gate (an exposure), makes requests that sometimes time out (more often on the
 * new checkout: the regression) and sometimes buys.
 */
export class DemoTraffic {
  private readonly random: () => number;
  readonly employees: SwitchyardUser[];
  readonly users: SwitchyardUser[];
  private next = 0;

  constructor(
    private readonly servers: readonly Switchyard[],
    private readonly options: TrafficOptions,
  ) {
    this.random = seededRandom(options.seed);
    this.employees = Array.from({ length: options.employees }, (_, i) => ({
      userID: `employee-${i + 1}`,
      email: `staff${i + 1}@company.com`,
    }));
    this.users = Array.from({ length: options.users }, (_, i) => ({
      userID: `user-${i + 1}`,
      email: `customer${i + 1}@example.org`,
      country: ['US', 'DE', 'FR', 'GB', 'BR'][i % 5] as string,
    }));
  }

  /** One tick of visits, spread over the app servers. */
  tick(): TickCounts {
    const counts: TickCounts = { visits: 0, onNewCheckout: 0, requests: 0, timeouts: 0, purchases: 0 };
    const { options } = this;
    const everyone = options.users + options.employees;
    for (let visit = 0; visit < options.activePerTick; visit++) {
      const pick = Math.floor(this.random() * everyone);
      const user = (
        pick < options.employees ? this.employees[pick] : this.users[pick - options.employees]
      ) as SwitchyardUser;
      const server = this.servers[this.next++ % this.servers.length] as Switchyard;
      const onNew = server.checkGate(user, options.gate);
      counts.visits += 1;
      if (onNew) counts.onNewCheckout += 1;
      const rate = onNew ? options.timeoutRate.new : options.timeoutRate.old;
      for (let request = 0; request < options.requestsPerVisit; request++) {
        const timedOut = this.random() < rate;
        counts.requests += 1;
        if (timedOut) counts.timeouts += 1;
        server.logEvent(user, 'request', null, { outcome: timedOut ? 'timeout' : 'ok' });
      }
      if (this.random() < options.purchaseRate) {
        counts.purchases += 1;
        server.logEvent(user, 'purchase', Math.round(options.meanOrder * (0.5 + this.random()) * 100) / 100);
      }
    }
    return counts;
  }
}
