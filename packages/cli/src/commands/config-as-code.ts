import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { type CommandContext, REASON_HELP } from '../context.js';

const LAYOUT = `
Layout: one folder per kind, one YAML file per object, named after it:
  environments/  metrics/  id_lists/  segments/  gates/  configs/  layers/  experiments/  webhooks/
Salts and rule ids are part of each file: they keep every user in the same bucket when the
files are applied to another server.`;

interface ApplyOptions {
  file: string;
  dryRun?: boolean;
  prune?: boolean;
  reason?: string;
  json?: boolean;
  verbose?: boolean;
}

export function registerConfigAsCode(program: Command, context: CommandContext): void {
  const { out, err, io } = context;

  program
    .command('export')
    .description('write all configuration as YAML files, one per object (for git and review)')
    .option('-o, --out <dir>', 'the directory to write', 'switchyard')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `${LAYOUT}
Files of objects no longer on the server are removed. Not exported: API keys and webhook
signing secrets; webhook URLs that are secrets (Slack, tokens) become \${env:VARIABLE}.
ID lists are exported by name (the server keeps hashes, not IDs): add "file: ids.txt" to a
list's file to manage its members from a file of IDs.

Example:
  $ switchyard export -o config/switchyard && git -C config diff`,
    )
    .action(async (options: { out: string; json?: boolean }, command: Command) => {
      const { exportConfiguration } = await import('../config-as-code/export.js');
      const directory = resolve(io.cwd, options.out);
      const result = await exportConfiguration(context.api(command), directory);
      if (options.json) return out.json({ ...result, directory: relative(io.cwd, directory) || '.' });
      const counts = Object.entries(result.counts)
        .filter(([, count]) => count > 0)
        .map(([kind, count]) => `${count} ${kind.replace('_', ' ')}`);
      out.line(
        `Exported ${result.written.length} objects to ${relative(io.cwd, directory) || '.'}/${counts.length ? `: ${counts.join(', ')}` : ''}.`,
      );
      for (const file of result.removed) out.line(`Removed ${file} (no longer on the server).`);
      for (const skipped of result.skipped)
        err.line(out.style('yellow', `Skipped ${skipped.kind}: ${skipped.reason}`));
      for (const note of result.notes) err.line(`note: ${note}`);
    });

  const apply = async (options: ApplyOptions, command: Command) => {
    const { readDirectory } = await import('../config-as-code/documents.js');
    const { executePlan, makePlan, readServerState } = await import('../config-as-code/plan.js');
    const { countChanges, planJson, printPlan } = await import('../config-as-code/render.js');
    const api = context.api(command);
    const directory = resolve(io.cwd, options.file);
    const contents = await readDirectory(directory, io.env);
    const state = await readServerState(api, [...contents.keys()]);
    const plan = await makePlan(api, contents, state, { prune: options.prune === true, cwd: io.cwd });
    const counts = countChanges(plan);
    const changes = counts.create + counts.update + counts.delete;
    if (options.dryRun || changes === 0) {
      if (options.json) return out.json({ dryRun: options.dryRun === true, ...planJson(plan) });
      printPlan(plan, out, { verbose: options.verbose === true });
      if (options.dryRun && changes > 0)
        out.line(`Dry run: nothing was changed. Apply with \`switchyard apply -f ${options.file}\`.`);
      return;
    }
    if (!options.json) {
      printPlan(plan, out, { verbose: options.verbose === true });
      out.line();
    }
    const result = await executePlan(plan, { api, io, reason: options.reason }, (step) => {
      if (!options.json && io.stderr.isTTY !== true) out.line(`${out.style('green', 'done')} ${step.label}`);
    });
    if (options.json) return out.json({ dryRun: false, ...planJson(plan), secrets: result.secrets });
    out.line(
      out.style(
        'bold',
        `Applied: ${counts.create} created, ${counts.update} changed, ${counts.delete} deleted.`,
      ),
    );
    for (const { webhook, secret } of result.secrets) {
      out.line(`Webhook ${webhook}: its signing secret, shown only now: ${out.style('bold', secret)}`);
    }
  };

  program
    .command('apply')
    .description('make the server match a directory of YAML files (idempotent; --dry-run shows the plan)')
    .requiredOption('-f, --file <dir>', 'the directory (as `switchyard export` writes it)')
    .option('--dry-run', 'print the plan as a diff and change nothing')
    .option('--prune', 'delete ID lists and webhooks that are not in the files')
    .option('--reason <text>', REASON_HELP)
    .option('-v, --verbose', 'list unchanged objects too')
    .option('--json', 'print the plan (and what was applied) as JSON')
    .addHelpText(
      'after',
      `${LAYOUT}
The plan compares each file with the server: create, change or leave each object, shown as
a unified diff of the YAML (a/ the server, b/ the files). Changes carry the version read, so
an object someone changes in the meantime is refused (409), not overwritten. Running apply
twice changes nothing the second time. Objects only on the server are kept; with --prune, ID
lists and webhooks are deleted (the API keeps gates, segments, configs and experiments: disable
them instead). Only the folders present are compared: a directory with just gates/ manages gates.

A file may leave out salts and rule ids: rules keep theirs, matched by name. An experiment's
status (draft, running, stopped, shipped) is reached through its actions; a gate's release plan
starts at its first stage when created or changed, and is otherwise left to run.

Examples:
  $ switchyard apply -f switchyard/ --dry-run
  $ switchyard apply -f switchyard/ --reason "PR #512"`,
    )
    .action(apply);

  program
    .command('plan')
    .description('show what `apply -f <dir>` would change, as a diff (same as apply --dry-run)')
    .requiredOption('-f, --file <dir>', 'the directory (as `switchyard export` writes it)')
    .option('--prune', 'include deleting ID lists and webhooks that are not in the files')
    .option('-v, --verbose', 'list unchanged objects too')
    .option('--json', 'print the plan as JSON')
    .action((options: ApplyOptions, command: Command) => apply({ ...options, dryRun: true }, command));
}
