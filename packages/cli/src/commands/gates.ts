import type { Command } from 'commander';
import { type CommandContext, collect, parsePercentage, REASON_HELP } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { formatTime } from '../output.js';

interface Condition {
  type: string;
  field?: string;
  operator?: string;
  value?: unknown;
}

interface Rule {
  id: string;
  salt: string;
  name: string;
  conditions: Condition[];
  passPercentage: number;
  environments: string[] | null;
}

interface ReleasePlan {
  stages: { name: string; percentage: number | null; segment: string | null }[];
  current: number;
  status: string;
  autoAdvance: boolean;
}

export interface GateRecord {
  name: string;
  description: string;
  tags: string[];
  owner: string | null;
  enabled: boolean;
  disabledIn: string[];
  idType: string;
  rules: Rule[];
  releasePlan: ReleasePlan | null;
  version: number;
  updatedAt: number;
}

function state(gate: GateRecord): string {
  if (!gate.enabled) return 'OFF';
  return gate.disabledIn.length > 0 ? `on (off in ${gate.disabledIn.join(', ')})` : 'on';
}

const everyone = (rule: Rule) => rule.conditions.every((condition) => condition.type === 'public');

function describeCondition(condition: Condition): string {
  const value = JSON.stringify(condition.value);
  switch (condition.type) {
    case 'public':
      return 'everyone';
    case 'pass_gate':
    case 'fail_gate': {
      const name = String(condition.value);
      const verb = condition.type === 'pass_gate' ? 'in' : 'not in';
      return name.startsWith('segment:')
        ? `${verb} segment ${name.slice('segment:'.length)}`
        : `${condition.type === 'pass_gate' ? 'passes' : 'fails'} gate ${name}`;
    }
    case 'user_field':
      return `${condition.field} ${condition.operator} ${value}`;
    default:
      return `${condition.type}${condition.field ? ` ${condition.field}` : ''} ${condition.operator ?? ''} ${value ?? ''}`.trim();
  }
}

function releaseSummary(plan: ReleasePlan | null): string {
  if (!plan) return '—';
  const stage = plan.stages[plan.current];
  const what =
    stage?.percentage !== null && stage?.percentage !== undefined
      ? `${stage.percentage}%`
      : `segment ${stage?.segment}`;
  return `stage ${plan.current + 1}/${plan.stages.length} ${what}, ${plan.status.replace('_', ' ')}`;
}

/**
 * The rule `rollout` changes: the one named by `--rule` (id or name); else the gate's only rule,
 * or its only rule for everyone (conditions all `public`); a gate without rules gets one.
 */
export function chooseRolloutRule(gate: GateRecord, wanted: string | undefined): Rule | 'new' {
  const list = gate.rules.map((rule) => `${rule.name} (id ${rule.id})`).join(', ');
  if (wanted !== undefined) {
    const byId = gate.rules.find((rule) => rule.id === wanted);
    if (byId) return byId;
    const byName = gate.rules.filter((rule) => rule.name === wanted);
    if (byName.length === 1 && byName[0]) return byName[0];
    if (byName.length > 1)
      throw new UsageError(
        `gate ${gate.name} has ${byName.length} rules named "${wanted}"`,
        `give the rule's id: ${list}`,
      );
    throw new UsageError(
      `gate ${gate.name} has no rule "${wanted}"`,
      gate.rules.length > 0 ? `its rules: ${list}` : 'it has no rules; leave --rule out to add one',
    );
  }
  if (gate.rules.length === 0) return 'new';
  if (gate.rules.length === 1 && gate.rules[0]) return gate.rules[0];
  const forEveryone = gate.rules.filter(everyone);
  if (forEveryone.length === 1 && forEveryone[0]) return forEveryone[0];
  throw new UsageError(
    `gate ${gate.name} has ${gate.rules.length} rules${forEveryone.length > 1 ? `, ${forEveryone.length} of them for everyone` : ' and none for everyone'}: which one should change?`,
    `say which with --rule <id or name>: ${list}`,
  );
}

export function registerGates(program: Command, context: CommandContext): void {
  const { out } = context;
  const gates = program
    .command('gates')
    .description('list, inspect, create and flip feature gates')
    .addHelpText(
      'after',
      `
Examples:
  $ switchyard gates list
  $ switchyard gates kill new_checkout --reason "INC-42: checkout errors"
  $ switchyard gates rollout new_checkout 25
  $ switchyard gates enable new_checkout --env staging`,
    );

  gates
    .command('list')
    .description('every gate: on or off, its rules and its release')
    .option('--json', 'the API records, as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { gates: list } = await context.api(command).get<{ gates: GateRecord[] }>('/gates');
      if (options.json) return out.json(list);
      if (list.length === 0)
        return out.line('No gates yet. Create one with `switchyard gates create <name>`.');
      out.table(
        ['NAME', 'STATE', 'RULES', 'RELEASE', 'UPDATED'],
        list.map((gate) => [
          gate.name,
          gate.enabled ? state(gate) : out.style('red', 'OFF'),
          gate.rules.map((rule) => `${rule.name} ${rule.passPercentage}%`).join(', ') || '—',
          releaseSummary(gate.releasePlan),
          formatTime(gate.updatedAt),
        ]),
      );
    });

  gates
    .command('get')
    .description('one gate: state, rules (with their ids), release and version')
    .argument('<name>', 'the gate')
    .option('--json', 'the API record, as JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const gate = await context.api(command).get<GateRecord>(`/gates/${encodeURIComponent(name)}`);
      if (options.json) return out.json(gate);
      out.line(
        `${out.style('bold', gate.name)}  ${gate.enabled ? state(gate) : out.style(['bold', 'red'], 'OFF')}`,
      );
      if (gate.description) out.line(gate.description);
      out.line(
        `version ${gate.version}, updated ${formatTime(gate.updatedAt)}${gate.owner ? `, owner ${gate.owner}` : ''}${gate.tags.length ? `, tags ${gate.tags.join(', ')}` : ''}`,
      );
      out.line(`unit: ${gate.idType}`);
      out.line();
      if (gate.rules.length === 0) out.line('No rules: nobody passes (until a rule is added).');
      gate.rules.forEach((rule, index) => {
        const where = rule.environments ? ` (only in ${rule.environments.join(', ')})` : '';
        out.line(
          `${index + 1}. ${out.style('bold', rule.name)}  ${rule.passPercentage}% of ${rule.conditions.map(describeCondition).join(' and ') || 'everyone'}${where}`,
        );
        out.line(out.style('dim', `   id ${rule.id}`));
      });
      if (gate.releasePlan) {
        out.line();
        out.line(
          `Release: ${releaseSummary(gate.releasePlan)}${gate.releasePlan.autoAdvance ? ', advancing by itself' : ''}`,
        );
      }
    });

  gates
    .command('create')
    .description('create a gate (on, with no rules: nobody passes until you roll it out)')
    .argument('<name>', 'lower-case letters, digits, "_", "-" or "."')
    .option('-d, --description <text>', 'what it guards')
    .option('--owner <owner>', 'who to ask about it')
    .option('--tag <tag>', 'a tag (repeat, or comma-separated)', collect)
    .option('--id-type <unit>', 'the unit it buckets by', 'userID')
    .option('--rollout <pct>', 'add a rule passing this percentage of everyone', parsePercentage)
    .option('--disabled', 'create it switched off')
    .option('--reason <text>', REASON_HELP)
    .option('--json', 'the created record, as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ switchyard gates create new_checkout -d "The new checkout flow" --rollout 5',
    )
    .action(async (name: string, options: Record<string, unknown>, command: Command) => {
      const gate = await context.api(command).send<GateRecord>('POST', '/gates', {
        body: {
          name,
          ...(options.description !== undefined && { description: options.description }),
          ...(options.owner !== undefined && { owner: options.owner }),
          ...(options.tag !== undefined && { tags: options.tag }),
          idType: options.idType,
          enabled: options.disabled !== true,
          rules:
            options.rollout !== undefined
              ? [{ name: 'Rollout', passPercentage: options.rollout, conditions: [{ type: 'public' }] }]
              : [],
          ...(options.reason !== undefined && { reason: options.reason }),
        },
      });
      if (options.json) return out.json(gate);
      out.line(`Created gate ${gate.name} (version ${gate.version}), ${state(gate)}.`);
      out.line(
        options.rollout !== undefined
          ? `${options.rollout}% of everyone passes. Raise it with \`switchyard gates rollout ${gate.name} <pct>\`.`
          : `Nobody passes yet: \`switchyard gates rollout ${gate.name} <pct>\` lets a share of users in.`,
      );
    });

  const onOff =
    (action: 'enable' | 'disable' | 'kill') =>
    async (name: string, options: { env?: string[]; reason?: string; json?: boolean }, command: Command) => {
      const body =
        action === 'kill'
          ? { action: 'kill', ...(options.env && { environments: options.env }) }
          : { ...(options.env && { environments: options.env }) };
      const gate = await context
        .api(command)
        .send<GateRecord>(
          'POST',
          `/gates/${encodeURIComponent(name)}/${action === 'kill' ? 'rollback' : action}`,
          {
            body: { ...body, ...(options.reason !== undefined && { reason: options.reason }) },
          },
        );
      if (options.json) return out.json(gate);
      const where = options.env ? `in ${options.env.join(', ')}` : 'everywhere';
      if (action === 'enable') {
        out.line(`${gate.name} is ${state(gate)} (version ${gate.version}).`);
        if (gate.releasePlan && gate.releasePlan.status === 'rolled_back') {
          out.line(
            `Its release plan stays rolled back: resume it in the console or with POST /api/v1/gates/${gate.name}/resume-release.`,
          );
        }
        return;
      }
      out.line(
        out.style(['bold', 'red'], `${gate.name} is OFF ${where}`) +
          `: every check ${options.env ? 'there ' : ''}returns false (version ${gate.version}).`,
      );
      if (action === 'kill' && gate.releasePlan)
        out.line(
          `Its release plan is ${gate.releasePlan.status.replace('_', ' ')}: it will not advance by itself.`,
        );
      out.line(
        `SDKs pick the change up within seconds. Undo: switchyard gates enable ${gate.name}${options.env ? ` --env ${options.env.join(',')}` : ''}`,
      );
    };

  gates
    .command('enable')
    .description('turn a gate back on, everywhere or in some environments')
    .argument('<name>', 'the gate')
    .option('--env <environment>', 'only here (repeat, or comma-separated)', collect)
    .option('--reason <text>', REASON_HELP)
    .option('--json', 'the changed record, as JSON')
    .action(onOff('enable'));

  gates
    .command('disable')
    .description('turn a gate off (everyone gets false), everywhere or in some environments')
    .argument('<name>', 'the gate')
    .option('--env <environment>', 'only here (repeat, or comma-separated)', collect)
    .option('--reason <text>', REASON_HELP)
    .option('--json', 'the changed record, as JSON')
    .action(onOff('disable'));

  gates
    .command('kill')
    .description('the incident kill switch: turn a gate off now and stop its release from advancing')
    .argument('<name>', 'the gate')
    .option('--env <environment>', 'only here (repeat, or comma-separated); default: everywhere', collect)
    .option('--reason <text>', REASON_HELP)
    .option('--json', 'the changed record, as JSON')
    .addHelpText(
      'after',
      `
Everyone gets false; SDKs are pushed the change within seconds. A release plan is rolled back
(it stops advancing), and protected environments never wait for approval to turn things off.
Undo with \`switchyard gates enable <name>\`.

Example:
  $ switchyard gates kill new_checkout --reason "INC-42: checkout errors"`,
    )
    .action(onOff('kill'));

  gates
    .command('rollout')
    .description("set the percentage of a gate's rollout rule; users already in stay in when it rises")
    .argument('<name>', 'the gate')
    .argument('<pct>', 'the share of users who pass, 0-100', parsePercentage)
    .option('--rule <rule>', 'the rule to change, by id or name')
    .option('--reason <text>', REASON_HELP)
    .option('--json', 'the changed record, as JSON')
    .addHelpText(
      'after',
      `
Which rule changes:
  --rule <id or name>  that rule
  one rule             that rule
  several rules        the only one for everyone (all conditions "public"); if there is
                       none or more than one, name it with --rule
  no rules             a rule "Rollout" for everyone is added
The rule keeps its id and salt, so raising 5% to 25% keeps the first 5% in; lowering it
takes users out. A gate being released by a release plan is refused: the plan owns its
percentage (advance or roll back the release instead).

Examples:
  $ switchyard gates rollout new_checkout 25
  $ switchyard gates rollout new_checkout 50 --rule canary`,
    )
    .action(
      async (
        name: string,
        percentage: number,
        options: { rule?: string; reason?: string; json?: boolean },
        command: Command,
      ) => {
        const api = context.api(command);
        const gate = await api.get<GateRecord>(`/gates/${encodeURIComponent(name)}`);
        if (
          gate.releasePlan &&
          (gate.releasePlan.status === 'active' || gate.releasePlan.status === 'paused')
        ) {
          throw new CliError(
            `gate ${name} is being released by its release plan (${releaseSummary(gate.releasePlan)}): the plan sets its percentage`,
            `advance it with POST /api/v1/gates/${name}/advance, or stop it with \`switchyard gates kill ${name}\``,
          );
        }
        const target = chooseRolloutRule(gate, options.rule);
        const rules =
          target === 'new'
            ? [
                {
                  name: 'Rollout',
                  passPercentage: percentage,
                  conditions: [{ type: 'public' }],
                  environments: null,
                },
              ]
            : gate.rules.map(({ salt: _salt, ...rule }) =>
                rule.id === target.id ? { ...rule, passPercentage: percentage } : rule,
              );
        const updated = await api.send<GateRecord>('PATCH', `/gates/${encodeURIComponent(name)}`, {
          body: { rules, ...(options.reason !== undefined && { reason: options.reason }) },
          ifMatch: gate.version,
        });
        if (options.json) return out.json(updated);
        if (target === 'new') {
          out.line(
            `${name}: added rule "Rollout" for everyone at ${percentage}% (version ${updated.version}).`,
          );
        } else {
          out.line(
            `${name}: rule "${target.name}" ${target.passPercentage}% -> ${percentage}% (version ${updated.version}).`,
          );
          out.line(
            percentage >= target.passPercentage
              ? 'Users already in stay in: the rule keeps its salt.'
              : `Lowering takes users out: those above ${percentage}% lose the gate.`,
          );
        }
        if (!updated.enabled)
          out.line(
            out.style(
              'yellow',
              `Note: ${name} is OFF; nobody passes until \`switchyard gates enable ${name}\`.`,
            ),
          );
      },
    );
}
