import type { Spec } from '@switchyard/core';
import { z } from 'zod';
import type { AuthoredKind } from './authored-kind.js';
import {
  compileRules,
  entityName,
  idTypeSchema,
  metadataFields,
  patchSchemaOf,
  ruleInputSchema,
  saltedRulesBehaviour,
  saltSchema,
  storedRuleSchema,
  systemCondition,
} from './rules.js';

/**
 * A segment: a reusable audience ("employees", "beta testers") that gates, configs and
 * experiments target with `{ "type": "pass_gate", "value": "segment:<name>" }`. Either
 * rule-based, or the members of an ID list. Compiles, as Statsig's console does, into a
 * `feature_gates` spec named `segment:<name>` with `entity: "segment"`.
 */

export const SEGMENT_PREFIX = 'segment:';

export const segmentInputSchema = z.object({
  name: entityName,
  ...metadataFields,
  idType: idTypeSchema.default('userID'),
  /** Spec salt; the server makes one when absent. Config as code gives an exported one back; a different salt reshuffles every rule's users. */
  salt: saltSchema.optional(),
  /** Rule-based: the user is in the segment if any rule passes. */
  rules: z.array(ruleInputSchema).max(200).default([]),
  /** ID-list based: the user's `idType` unit is in this ID list (the rules are then ignored). */
  idList: entityName.nullable().default(null),
});
export const segmentPatchSchema = patchSchemaOf(segmentInputSchema.omit({ name: true }));
export const storedSegmentSchema = segmentInputSchema.extend({
  salt: z.string(),
  rules: z.array(storedRuleSchema),
});

export type SegmentInput = z.infer<typeof segmentInputSchema>;
export type SegmentPatch = z.infer<typeof segmentPatchSchema>;
export type StoredSegment = z.infer<typeof storedSegmentSchema>;

export const segmentKind: AuthoredKind<StoredSegment> = {
  kind: 'segment',
  path: 'segments',
  input: segmentInputSchema,
  patch: segmentPatchSchema,
  stored: storedSegmentSchema,
  ...saltedRulesBehaviour,
  namespace: 'feature_gates',
  specName: (name) => `${SEGMENT_PREFIX}${name}`,
  actions: [],
};

export function compileSegment(segment: StoredSegment, environment: string): Spec {
  const rules = segment.idList
    ? [
        {
          name: 'ID list',
          id: `${SEGMENT_PREFIX}${segment.name}:id_list`,
          salt: '',
          passPercentage: 100,
          conditions: [systemCondition('unit_id', 'in_segment_list', segment.idList, segment.idType)],
          returnValue: true,
          idType: segment.idType,
        },
      ]
    : compileRules(segment.rules, environment, segment.idType, () => true);
  return {
    name: `${SEGMENT_PREFIX}${segment.name}`,
    type: 'feature_gate',
    entity: 'segment',
    salt: segment.salt,
    enabled: true,
    defaultValue: false,
    idType: segment.idType,
    rules,
  };
}
