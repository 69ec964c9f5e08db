import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface GuardrailCheck {
  id: number;
  gate: string;
  environment: string;
  stageId: string;
  at: number;
  /** `rollback`, `advance` or `hold`, with the verdict: `hold:waiting`, `rollback:regression`... */
  outcome: string;
  evidence: unknown;
}

/** Checks older than this are dropped (at most once an hour). */
const KEEP_MS = 30 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Every look the guardrail monitor took at a release stage, with its evidence, for the console and audits. */
export class GuardrailCheckStore {
  private lastPrune = 0;

  constructor(private readonly db: Kysely<Database>) {}

  async record(check: Omit<GuardrailCheck, 'id'>): Promise<void> {
    await this.db
      .insertInto('guardrail_checks')
      .values({
        gate: check.gate,
        environment: check.environment,
        stage_id: check.stageId,
        at: check.at,
        outcome: check.outcome,
        evidence: JSON.stringify(check.evidence),
      })
      .execute();
    if (check.at - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = check.at;
      await this.db
        .deleteFrom('guardrail_checks')
        .where('at', '<', check.at - KEEP_MS)
        .execute();
    }
  }

  /** Newest first. */
  async list(gate: string, limit = 100): Promise<GuardrailCheck[]> {
    const rows = await this.db
      .selectFrom('guardrail_checks')
      .selectAll()
      .where('gate', '=', gate)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: Number(row.id),
      gate: row.gate,
      environment: row.environment,
      stageId: row.stage_id,
      at: Number(row.at),
      outcome: row.outcome,
      evidence: JSON.parse(row.evidence),
    }));
  }
}
