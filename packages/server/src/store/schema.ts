import type { Generated } from 'kysely';

/**
 * Tables. Times are epoch milliseconds (bigint in Postgres, parsed to number); JSON documents
 * are stored as text so both databases hold byte-identical values.
 */
export interface Database {
  environments: { name: string; created_at: number };
  api_keys: {
    id: string;
    environment: string;
    kind: 'server' | 'client' | 'console';
    /** SHA-256 (hex) of the secret; the secret itself is never stored. */
    key_hash: string;
    /** The first characters of the secret, so people can tell keys apart. */
    key_prefix: string;
    created_at: number;
    revoked_at: number | null;
    last_used_at: number | null;
  };
  /** The current version of every authored object (gates now; configs, experiments... later). */
  entities: {
    kind: string;
    name: string;
    version: number;
    data: string;
    created_at: number;
    updated_at: number;
  };
  /** Every version ever written, for history and revert. */
  entity_versions: {
    kind: string;
    name: string;
    version: number;
    data: string;
    created_at: number;
    actor: string;
  };
  audit_log: {
    id: Generated<number>;
    at: number;
    actor: string;
    action: string;
    kind: string;
    name: string;
    version: number | null;
    reason: string | null;
    /** JSON: { before, after } of the change. */
    diff: string;
  };
  /** Single row: the configuration revision, bumped by every change. */
  config_state: { id: number; revision: number; changed_at: number };
  events: {
    id: Generated<number>;
    environment: string;
    received_at: number;
    time: number;
    event_name: string;
    user_id: string | null;
    /** JSON of the unit IDs (userID and customIDs). */
    unit_ids: string;
    /** For exposures: the gate, config or layer exposed. */
    entity: string | null;
    rule_id: string | null;
    group_name: string | null;
    value: string | null;
    /** JSON metadata as sent, private attributes removed. */
    metadata: string;
    /** JSON array of the exposure's secondary exposures ({gate, gateValue, ruleID}), or null. */
    secondary_exposures: string | null;
  };
}
