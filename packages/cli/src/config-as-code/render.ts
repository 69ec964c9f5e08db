import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { Printer } from '../output.js';
import type { ChangeAction, Plan, PlannedChange } from './plan.js';

/** A change's YAML as a unified diff (`a/` the server, `b/` the files), like `git diff`. */
export function changeDiff(change: PlannedChange): string {
  if (change.before === change.after) return '';
  const file = `${change.kind}/${change.name}.yaml`;
  return createTwoFilesPatch(
    change.before === '' ? '/dev/null' : `a/${file}`,
    change.after === '' ? '/dev/null' : `b/${file}`,
    change.before,
    change.after,
    undefined,
    undefined,
    { context: 3, headerOptions: FILE_HEADERS_ONLY },
  );
}

const SYMBOL: Record<ChangeAction, string> = {
  create: '+',
  update: '~',
  delete: '-',
  unchanged: ' ',
  not_in_files: '?',
};

const VERB: Record<ChangeAction, string> = {
  create: 'will be created',
  update: 'will be changed',
  delete: 'will be deleted',
  unchanged: 'is unchanged',
  not_in_files: 'is only on the server',
};

export interface PlanCounts {
  create: number;
  update: number;
  delete: number;
  unchanged: number;
  notInFiles: number;
}

export function countChanges(plan: Plan): PlanCounts {
  const count = (action: ChangeAction) => plan.changes.filter((change) => change.action === action).length;
  return {
    create: count('create'),
    update: count('update'),
    delete: count('delete'),
    unchanged: count('unchanged'),
    notInFiles: count('not_in_files'),
  };
}

/** The plan for a terminal: each change with its diff and API calls, then a summary line. */
export function printPlan(plan: Plan, out: Printer, { verbose = false }: { verbose?: boolean } = {}): void {
  const colour = (line: string) => {
    if (line.startsWith('+++') || line.startsWith('---')) return out.style('bold', line);
    if (line.startsWith('+')) return out.style('green', line);
    if (line.startsWith('-')) return out.style('red', line);
    if (line.startsWith('@@')) return out.style('cyan', line);
    return line;
  };
  const headingStyle: Record<ChangeAction, 'green' | 'yellow' | 'red' | 'dim'> = {
    create: 'green',
    update: 'yellow',
    delete: 'red',
    unchanged: 'dim',
    not_in_files: 'dim',
  };
  for (const warning of plan.warnings) out.line(out.style('yellow', `warning: ${warning}`));
  for (const change of plan.changes) {
    if (change.action === 'unchanged' && !verbose) continue;
    const heading = `${SYMBOL[change.action]} ${change.kind}/${change.name} ${VERB[change.action]}`;
    out.line(out.style(['bold', headingStyle[change.action]], heading));
    for (const note of change.notes) out.line(`    ${note}`);
    if (change.action === 'not_in_files') continue;
    const diff = changeDiff(change);
    if (diff) for (const line of diff.trimEnd().split('\n')) out.line(`    ${colour(line)}`);
    for (const step of change.steps) out.line(out.style('dim', `    -> ${step.label}`));
    out.line();
  }
  out.line(summaryLine(countChanges(plan)));
}

export function summaryLine(counts: PlanCounts): string {
  const parts = [
    `${counts.create} to create`,
    `${counts.update} to change`,
    `${counts.delete} to delete`,
    `${counts.unchanged} unchanged`,
  ];
  const extra =
    counts.notInFiles > 0
      ? ` ${counts.notInFiles} only on the server (kept${counts.notInFiles > 0 ? '; --prune deletes ID lists and webhooks' : ''}).`
      : '';
  const changes = counts.create + counts.update + counts.delete;
  return `${changes === 0 ? 'No changes. ' : ''}Plan: ${parts.join(', ')}.${extra}`;
}

/** The plan for scripts (`--json`). */
export function planJson(plan: Plan) {
  return {
    summary: countChanges(plan),
    warnings: plan.warnings,
    changes: plan.changes.map((change) => ({
      kind: change.kind,
      name: change.name,
      action: change.action,
      notes: change.notes,
      diff: changeDiff(change),
      steps: change.steps.map((step) => step.label),
    })),
  };
}
