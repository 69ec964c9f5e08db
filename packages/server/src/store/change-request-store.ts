import type { Kysely, Selectable } from 'kysely';
import type { Database } from './schema.js';

export type ChangeRequestStatus = Database['change_requests']['status'];

export interface ChangeRequest {
  id: number;
  /** Storage kind, e.g. `gate`. */
  kind: string;
  name: string;
  /** `create`, `update`, `revert` or `action:<name>`. */
  operation: string;
  body: Record<string, unknown>;
  expectedVersion: number | null;
  reason: string | null;
  status: ChangeRequestStatus;
  requestedBy: string;
  requestedAt: number;
  reviewedBy: string | null;
  reviewedAt: number | null;
  appliedVersion: number | null;
}

/** Change requests; every status change is conditional on the status read, so two reviewers cannot race. */
export class ChangeRequestStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(
    request: Pick<
      ChangeRequest,
      'kind' | 'name' | 'operation' | 'body' | 'expectedVersion' | 'reason' | 'requestedBy' | 'requestedAt'
    >,
  ): Promise<ChangeRequest> {
    const { id } = await this.db
      .insertInto('change_requests')
      .values({
        kind: request.kind,
        name: request.name,
        operation: request.operation,
        body: JSON.stringify(request.body),
        expected_version: request.expectedVersion,
        reason: request.reason,
        status: 'pending',
        requested_by: request.requestedBy,
        requested_at: request.requestedAt,
        reviewed_by: null,
        reviewed_at: null,
        applied_version: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.get(Number(id))) as ChangeRequest;
  }

  async get(id: number): Promise<ChangeRequest | undefined> {
    const row = await this.db
      .selectFrom('change_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toChangeRequest(row);
  }

  async list(status?: ChangeRequestStatus, limit = 100): Promise<ChangeRequest[]> {
    let query = this.db.selectFrom('change_requests').selectAll().orderBy('id', 'desc').limit(limit);
    if (status) query = query.where('status', '=', status);
    return (await query.execute()).map(toChangeRequest);
  }

  /** Moves `id` from `from` to `to`; false when it was not in `from` (someone else got there first). */
  async transition(
    id: number,
    from: ChangeRequestStatus,
    to: ChangeRequestStatus,
    set: { reviewedBy?: string; reviewedAt?: number; appliedVersion?: number },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('change_requests')
      .set({
        status: to,
        ...(set.reviewedBy !== undefined && { reviewed_by: set.reviewedBy }),
        ...(set.reviewedAt !== undefined && { reviewed_at: set.reviewedAt }),
        ...(set.appliedVersion !== undefined && { applied_version: set.appliedVersion }),
      })
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

function toChangeRequest(row: Selectable<Database['change_requests']>): ChangeRequest {
  return {
    id: Number(row.id),
    kind: row.kind,
    name: row.name,
    operation: row.operation,
    body: JSON.parse(row.body),
    expectedVersion: row.expected_version,
    reason: row.reason,
    status: row.status,
    requestedBy: row.requested_by,
    requestedAt: Number(row.requested_at),
    reviewedBy: row.reviewed_by,
    reviewedAt: row.reviewed_at === null ? null : Number(row.reviewed_at),
    appliedVersion: row.applied_version,
  };
}
