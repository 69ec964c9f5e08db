import type { Spec } from '@switchyard/core';
import { z } from 'zod';
import { type AuthoredKind, killSwitchActions } from './authored-kind.js';
import {
  compileRules,
  entityName,
  idTypeSchema,
  jsonObject,
  metadataFields,
  patchSchemaOf,
  ruleInputSchema,
  saltedRulesBehaviour,
  saltSchema,
  storedRuleSchema,
} from './rules.js';

/**
 * A dynamic config: rules like a gate's, each returning a JSON object; users no rule takes get
 * `defaultValue`. Disabled, everyone gets the default. Compiles into a `dynamic_configs` spec.
 */

const configRuleInput = ruleInputSchema.extend({ value: jsonObject.default({}) });

export const dynamicConfigInputSchema = z.object({
  name: entityName,
  ...metadataFields,
  enabled: z.boolean().default(true),
  idType: idTypeSchema.default('userID'),
  /** Spec salt; the server makes one when absent. Config as code gives an exported one back; a different salt reshuffles every rule's users. */
  salt: saltSchema.optional(),
  defaultValue: jsonObject.default({}),
  rules: z.array(configRuleInput).max(200).default([]),
});
export const dynamicConfigPatchSchema = patchSchemaOf(dynamicConfigInputSchema.omit({ name: true }));
export const storedDynamicConfigSchema = dynamicConfigInputSchema.extend({
  salt: z.string(),
  rules: z.array(storedRuleSchema.extend({ value: jsonObject })),
});

export type DynamicConfigInput = z.infer<typeof dynamicConfigInputSchema>;
export type DynamicConfigPatch = z.infer<typeof dynamicConfigPatchSchema>;
export type StoredDynamicConfig = z.infer<typeof storedDynamicConfigSchema>;

export const dynamicConfigKind: AuthoredKind<StoredDynamicConfig> = {
  kind: 'dynamic_config',
  path: 'configs',
  input: dynamicConfigInputSchema,
  patch: dynamicConfigPatchSchema,
  stored: storedDynamicConfigSchema,
  ...saltedRulesBehaviour,
  namespace: 'dynamic_configs',
  specName: (name) => name,
  actions: killSwitchActions('config'),
};

export function compileDynamicConfig(config: StoredDynamicConfig, environment: string): Spec {
  return {
    name: config.name,
    type: 'dynamic_config',
    entity: 'dynamic_config',
    salt: config.salt,
    enabled: config.enabled,
    defaultValue: config.defaultValue,
    idType: config.idType,
    rules: compileRules(config.rules, environment, config.idType, (rule) => rule.value),
  };
}
