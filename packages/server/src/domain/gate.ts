import type { Spec } from '@switchyard/core';
import { z } from 'zod';
import { type AuthoredKind, killSwitchActions } from './authored-kind.js';
import {
  compileRules,
  entityName,
  idTypeSchema,
  metadataFields,
  patchSchemaOf,
  ruleInputSchema,
  saltedRulesBehaviour,
  storedRuleSchema,
} from './rules.js';

/**
 * A feature gate: ordered rules, each with conditions and a pass percentage; `enabled` is the
 * kill switch. Compiles into a `feature_gates` spec per environment.
 */

export const gateInputSchema = z.object({
  name: entityName,
  ...metadataFields,
  enabled: z.boolean().default(true),
  idType: idTypeSchema.default('userID'),
  rules: z.array(ruleInputSchema).max(200).default([]),
});
export const gatePatchSchema = patchSchemaOf(gateInputSchema.omit({ name: true }));
export const storedGateSchema = gateInputSchema.extend({
  /** Spec salt, fixed at creation. */
  salt: z.string(),
  rules: z.array(storedRuleSchema),
});

export type GateInput = z.infer<typeof gateInputSchema>;
export type GatePatch = z.infer<typeof gatePatchSchema>;
export type StoredGate = z.infer<typeof storedGateSchema>;

export const gateKind: AuthoredKind<StoredGate> = {
  kind: 'gate',
  path: 'gates',
  input: gateInputSchema,
  patch: gatePatchSchema,
  stored: storedGateSchema,
  ...saltedRulesBehaviour,
  namespace: 'feature_gates',
  specName: (name) => name,
  actions: killSwitchActions('gate'),
};

/** The gate as a DCS v1 spec for `environment`: rules limited to other environments drop out. */
export function compileGate(gate: StoredGate, environment: string): Spec {
  return {
    name: gate.name,
    type: 'feature_gate',
    entity: 'feature_gate',
    salt: gate.salt,
    enabled: gate.enabled,
    defaultValue: false,
    idType: gate.idType,
    rules: compileRules(gate.rules, environment, gate.idType, () => true),
  };
}
