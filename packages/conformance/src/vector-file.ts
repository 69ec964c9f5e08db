/**
 * The conformance vector format. One JSON file per topic under `vectors/`, named
 * `NN-topic.json` and run in number order. A file declares the `specVersion` of the format it
 * uses; the loader refuses a file whose major version differs from SPEC_VERSION, so a format
 * change cannot be half-understood silently.
 */

/** Format version of the vector files. Bump the major version on an incompatible change. */
export const SPEC_VERSION = '1.0.0';

export type EntityKind = 'gate' | 'config' | 'experiment' | 'layer';

/** Fields an evaluation is checked on. Every field present in `expected` is compared; absent ones are not. */
export interface ExpectedEvaluation {
  value?: boolean;
  ruleID?: string;
  groupName?: string | null;
  json?: unknown;
  /** Compared as sets of `gate|gateValue|ruleID`, as Statsig's own vectors are. */
  secondaryExposures?: { gate: string; gateValue: string; ruleID: string }[];
  undelegatedSecondaryExposures?: { gate: string; gateValue: string; ruleID: string }[];
  allocatedExperimentName?: string | null;
  /** Only for hosts that report a reason; compared when the host returns one. */
  reason?: string;
}

export interface EvaluationOptionsInput {
  /** Unit IDs (raw, not hashed) per list name; the host hashes them as its ID-list sync would. */
  idLists?: Record<string, string[]>;
  /** Fixed time for `current_time` conditions, in epoch milliseconds. */
  now?: number;
  /** statsig-node's `environment` option: replaces the user's statsigEnvironment. */
  environment?: Record<string, unknown>;
}

export interface EvaluationCase {
  id: string;
  description?: string;
  user: Record<string, unknown>;
  entity: { kind: EntityKind; name: string };
  options?: EvaluationOptionsInput;
  expected: ExpectedEvaluation;
}

/** A raw hash primitive vector (protocol doc section 3.5); hosts without the primitives skip these. */
export interface HashCase {
  id: string;
  function: 'h64' | 'djb2' | 'sha256Base64' | 'idListEntry';
  input: string;
  /** Decimal string for h64 (it exceeds 2^53), the hash text otherwise. */
  expected: string;
}

export interface VectorFile {
  specVersion: string;
  /** File name without extension, e.g. `02-operators-numeric`. */
  name: string;
  description: string;
  /** Where the expectations come from (a reference SDK run, the protocol doc, ...). */
  source: string;
  /** A download_config_specs v1 payload shared by the file's evaluation cases. */
  specs?: Record<string, unknown>;
  cases?: EvaluationCase[];
  hashCases?: HashCase[];
}
