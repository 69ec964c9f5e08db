import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { formatTime } from '../output.js';

interface ExperimentRecord {
  name: string;
  status: string;
  layer: string | null;
  allocationPercent: number;
  groups: { name: string; weight: number }[];
  shippedGroup: string | null;
  startedAt: number | null;
  targetingGate: string | null;
}

export function registerExperiments(program: Command, context: CommandContext): void {
  const { out } = context;
  const experiments = program
    .command('experiments')
    .description('list experiments (results: switchyard pulse)');
  experiments
    .command('list')
    .description('every experiment: status, layer, allocation and groups')
    .option('--json', 'the API records, as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { experiments: list } = await context
        .api(command)
        .get<{ experiments: ExperimentRecord[] }>('/experiments');
      if (options.json) return out.json(list);
      if (list.length === 0) return out.line('No experiments yet.');
      out.table(
        ['NAME', 'STATUS', 'LAYER', 'ALLOCATION', 'GROUPS', 'TARGETING', 'STARTED'],
        list.map((experiment) => [
          experiment.name,
          experiment.status === 'shipped' ? `shipped ${experiment.shippedGroup}` : experiment.status,
          experiment.layer ?? '—',
          `${experiment.allocationPercent}%`,
          experiment.groups.map((group) => `${group.name} ${group.weight}%`).join(', '),
          experiment.targetingGate ?? '—',
          formatTime(experiment.startedAt),
        ]),
        ['left', 'left', 'left', 'right'],
      );
    });
}
