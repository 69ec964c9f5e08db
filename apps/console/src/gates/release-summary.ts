import type { ReleasePlan, Stage } from '../api/types.js';

export const RELEASE_STATUS_LABEL: Record<ReleasePlan['status'], string> = {
  active: 'in progress',
  paused: 'paused',
  rolled_back: 'rolled back',
  completed: 'completed',
};

/** "Employees (staff)", "Canary (5%)". */
export function stageLabel(
  stage: Stage | { name: string; segment?: string | null; percentage?: number | null },
): string {
  const audience =
    stage.segment !== null && stage.segment !== undefined
      ? `segment ${stage.segment}`
      : `${stage.percentage ?? 0}%`;
  return `${stage.name} (${audience})`;
}

/** One line for lists: the stage being served and the plan's status. */
export function releaseSummary(plan: ReleasePlan): string {
  const stage = plan.stages[plan.current];
  return `${stage ? stageLabel(stage) : '—'} · stage ${plan.current + 1} of ${plan.stages.length} · ${RELEASE_STATUS_LABEL[plan.status]}`;
}
