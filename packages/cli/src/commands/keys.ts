import { type Command, Option } from 'commander';
import type { CommandContext } from '../context.js';
import { formatTime } from '../output.js';

interface KeyRecord {
  id: string;
  environment: string;
  kind: 'server' | 'client' | 'console';
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  access: 'read' | 'write';
}

const KIND_USE: Record<KeyRecord['kind'], string> = {
  server: 'server SDKs (rules and events)',
  client: 'browser and mobile SDKs (initialize and events)',
  console: 'the authoring API: this CLI, scripts, CI',
};

export function registerKeys(program: Command, context: CommandContext): void {
  const { out } = context;
  const keys = program
    .command('keys')
    .description('API keys: create (the secret is shown once), list, revoke (admin)')
    .addHelpText(
      'after',
      `
Kinds: server (SDKs on your servers), client (browsers and apps), console (this CLI and scripts).

Examples:
  $ switchyard keys create --kind server --env production
  $ switchyard keys create --kind console --read-only
  $ switchyard keys list
  $ switchyard keys revoke <id>`,
    );

  keys
    .command('list')
    .description('every key, without secrets')
    .option('--json', 'the API records, as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { keys: list } = await context.api(command).get<{ keys: KeyRecord[] }>('/keys');
      if (options.json) return out.json(list);
      out.table(
        ['ID', 'KIND', 'ENVIRONMENT', 'ACCESS', 'PREFIX', 'CREATED', 'LAST USED', 'STATE'],
        list.map((key) => [
          key.id,
          key.kind,
          key.environment,
          key.access,
          `${key.prefix}…`,
          formatTime(key.createdAt),
          formatTime(key.lastUsedAt),
          key.revokedAt === null ? 'active' : out.style('dim', `revoked ${formatTime(key.revokedAt)}`),
        ]),
      );
    });

  keys
    .command('create')
    .description('create a key; its secret is printed once and stored only hashed')
    .addOption(
      new Option('--kind <kind>', 'what the key is for')
        .choices(['server', 'client', 'console'])
        .makeOptionMandatory(),
    )
    .option('--env <environment>', 'the environment it serves', 'production')
    .option('--read-only', 'console keys: read, never change (a viewer)')
    .option('--json', 'the record with its secret, as JSON')
    .action(
      async (
        options: { kind: KeyRecord['kind']; env: string; readOnly?: boolean; json?: boolean },
        command: Command,
      ) => {
        const created = await context.api(command).send<KeyRecord & { secret: string }>('POST', '/keys', {
          body: { environment: options.env, kind: options.kind, access: options.readOnly ? 'read' : 'write' },
        });
        if (options.json) return out.json(created);
        out.line(
          `Created ${created.kind} key ${created.id} for ${created.environment}${created.kind === 'console' ? ` (${created.access})` : ''}: ${KIND_USE[created.kind]}.`,
        );
        out.line('Its secret, shown only now:');
        out.line(`  ${out.style('bold', created.secret)}`);
      },
    );

  keys
    .command('revoke')
    .description('revoke a key at once (by id, from `keys list`)')
    .argument('<id>', 'the key id')
    .option('--json', 'print {"revoked": "<id>"}')
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      await context.api(command).send('POST', `/keys/${encodeURIComponent(id)}/revoke`);
      if (options.json) return out.json({ revoked: id });
      out.line(`Revoked key ${id}: requests with it are refused from now on.`);
    });
}
