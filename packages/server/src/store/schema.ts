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
    /** Console keys: `read` (viewer) or `write`; server and client keys ignore it. */
    access: Generated<'read' | 'write'>;
  };
  /** People who sign in to the console. */
  users: {
    id: string;
    /** Lower-cased. */
    email: string;
    name: string;
    role: 'admin' | 'editor' | 'viewer';
    /** `scrypt$N$r$p$salt$hash` (security/passwords.ts); never the password. */
    password_hash: string;
    created_at: number;
    disabled_at: number | null;
  };
  /** Console sign-ins: the cookie holds a random secret, only its SHA-256 is stored. */
  sessions: { id_hash: string; user_id: string; created_at: number; expires_at: number };
  /** Who may change an environment's configuration, and whether a second person must approve. */
  environment_policies: { environment: string; min_role: 'editor' | 'admin'; require_approval: number };
  /** A configuration change waiting for, or past, review by a second person. */
  change_requests: {
    id: Generated<number>;
    /** Storage kind of the object, e.g. `gate`. */
    kind: string;
    name: string;
    /** `create`, `update`, `revert`, or `action:<name>`. */
    operation: string;
    /** JSON of the request body the operation takes. */
    body: string;
    expected_version: number | null;
    reason: string | null;
    status: 'pending' | 'approved' | 'rejected' | 'applied';
    requested_by: string;
    requested_at: number;
    reviewed_by: string | null;
    reviewed_at: number | null;
    applied_version: number | null;
  };
  settings: { name: string; value: string };
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
    /** The configuration revision the change produced (null before migration 0009). */
    revision: number | null;
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
  /**
   * ID lists (global across environments). The content of the current file is an append-only
   * log of `+<hash>\n` / `-<hash>\n` lines (Statsig's list file format) kept in
   * `id_list_chunks`; a full upload starts a new file. A deleted list stays as a tombstone
   * with an empty file, because statsig-node 6.5.2 never drops a list that disappears.
   */
  id_lists: {
    name: string;
    /** The current file's id: random and unguessable, it also authorises downloading the file. */
    file_id: string;
    /** The file before it, kept so a download that started before a replacement can finish. */
    previous_file_id: string | null;
    /** Epoch ms; strictly increasing per list, since SDKs ignore a new file with an older one. */
    creation_time: number;
    /** Bytes in the current file. */
    size: number;
    /** Entries (distinct hashes) currently in the list. */
    entry_count: number;
    /** Chunks in the current file; the next chunk's `seq`. */
    chunk_count: number;
    /** Bumped by every change (optimistic concurrency, audit). */
    version: number;
    created_at: number;
    updated_at: number;
    /** Set while the list is deleted (a tombstone serving an empty file). */
    deleted_at: number | null;
  };
  /** A list file, in chunks: bytes [start_byte, end_byte) of file `file_id`, ASCII lines. */
  id_list_chunks: {
    file_id: string;
    seq: number;
    start_byte: number;
    end_byte: number;
    content: string;
  };
  /** The configuration revision each SDK instance last reported holding. */
  sdk_instances: {
    environment: string;
    instance_id: string;
    revision: number;
    sdk_type: string;
    sdk_version: string;
    reported_at: number;
  };
  /** Keys of event batches already stored (SDK retries are acknowledged, not stored twice). */
  ingest_batches: { environment: string; batch_key: string; received_at: number };
  /** A unit's first exposure to an entity (`gate:<name>` or `config:<name>`). */
  pulse_exposures: {
    environment: string;
    entity: string;
    unit_type: string;
    unit_id: string;
    /** Gates: `<ruleID>:<value>`; configs and experiments: the rule id (the group). */
    arm: string;
    /** Days since the epoch (UTC). */
    first_day: number;
    /** Hours since the epoch; null in rows written before migration 0008 (then `first_day` x 24). */
    first_hour: number | null;
  };
  /** Per unit, metric and day: numerator and denominator contributions. */
  pulse_unit_days: {
    environment: string;
    metric: string;
    unit_id: string;
    day: number;
    num: number;
    den: number;
  };
  /** Sufficient statistics per entity, arm, metric, added on each day (see pulse/arm-stats.ts). */
  pulse_arm_days: {
    environment: string;
    entity: string;
    arm: string;
    metric: string;
    day: number;
    n: number;
    sum_y: number;
    sum_y2: number;
    sum_d: number;
    sum_d2: number;
    sum_yd: number;
    sum_x: number;
    sum_x2: number;
    sum_xy: number;
    /** The pre-period denominator `e` (ratios and means) and its products (migration 0008). */
    sum_e: number;
    sum_e2: number;
    sum_xe: number;
    sum_de: number;
    sum_ye: number;
    sum_dx: number;
  };
  /** Value buckets of winsorized metrics, per entity, arm, metric and day (pulse/value-buckets.ts). */
  pulse_arm_buckets: {
    environment: string;
    entity: string;
    arm: string;
    metric: string;
    day: number;
    bucket: number;
    n: number;
    sum_y: number;
    sum_y2: number;
    sum_x: number;
    sum_xy: number;
  };
  /** `pulse_arm_days` by hour (hours since the epoch), for hourly series. */
  pulse_arm_hours: Omit<Database['pulse_arm_days'], 'day'> & { hour: number };
  /** `pulse_arm_buckets` by hour. */
  pulse_arm_bucket_hours: Omit<Database['pulse_arm_buckets'], 'day'> & { hour: number };
  pulse_state: { id: number; last_event_id: number; catalogue: string };
  /** When an SDK instance started serving a revision it reported (for fleet convergence). */
  sdk_acks: { environment: string; revision: number; instance_id: string; applied_at: number };
  /** A change to make at `run_at` (once): an action on an authored object. */
  scheduled_changes: {
    id: Generated<number>;
    kind: string;
    name: string;
    /** An action of the kind (`advance`, `rollback`, `enable`...). */
    action: string;
    /** JSON: the action's body. */
    body: string;
    run_at: number;
    status: 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
    created_by: string;
    created_at: number;
    reason: string | null;
    fired_at: number | null;
    /** JSON: the resulting version, or the error. */
    outcome: string | null;
  };
  /** A guardrail metric's totals over everyone in one minute (topline alert). */
  topline_minutes: {
    environment: string;
    metric: string;
    /** Epoch minutes of the events' time. */
    minute: number;
    num: number;
    num2: number;
    den: number;
  };
  topline_state: { id: number; last_event_id: number };
  topline_alerts: {
    id: Generated<number>;
    environment: string;
    metric: string;
    at: number;
    evidence: string;
  };
  /** One look of the guardrail monitor at a release stage. */
  guardrail_checks: {
    id: Generated<number>;
    gate: string;
    environment: string;
    stage_id: string;
    at: number;
    outcome: string;
    /** JSON: per metric, arms, lift, interval, units; the sample-ratio check. */
    evidence: string;
  };
}
