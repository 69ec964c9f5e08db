/** What an exposure event says about a unit's arm, for Pulse. */
export interface ExposureArm {
  /** `gate:<name>` or `config:<name>` (experiments and configs; a layer's allocated experiment). */
  entity: string;
  /** Gates: `<ruleID>:<true|false>`; configs and experiments: the deciding rule (the group). */
  arm: string;
}

/**
 * Reads an exposure event (Statsig's format, from any SDK). Layer exposures count for the
 * experiment the user was allocated to; a layer exposure outside any experiment is not an arm.
 */
export function exposureArm(eventName: string, metadata: Record<string, unknown>): ExposureArm | null {
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : null);
  const ruleID = text(metadata.ruleID) ?? '';
  switch (eventName) {
    case 'statsig::gate_exposure': {
      const gate = text(metadata.gate);
      if (!gate) return null;
      return { entity: `gate:${gate}`, arm: `${ruleID}:${String(metadata.gateValue) === 'true'}` };
    }
    case 'statsig::config_exposure': {
      const config = text(metadata.config);
      return config ? { entity: `config:${config}`, arm: ruleID } : null;
    }
    case 'statsig::layer_exposure': {
      const experiment = text(metadata.allocatedExperiment);
      return experiment ? { entity: `config:${experiment}`, arm: ruleID } : null;
    }
    default:
      return null;
  }
}
