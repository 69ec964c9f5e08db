import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { promptSecret, readAllStdin } from '../prompt.js';

/** A database URL for messages: a Postgres password is never printed. */
export function displayDatabase(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'postgres://...';
  }
}

const DATABASE_HELP = `
The database is the server's: DATABASE_URL (postgres://...), else switchyard.db in
SWITCHYARD_DATA_DIR (default .switchyard).`;

async function openLocalDatabase(context: CommandContext) {
  const { readConfig, openDatabase } = await import('@switchyard/server');
  let databaseUrl: string;
  try {
    databaseUrl = readConfig([], context.io.env).databaseUrl;
  } catch (error) {
    throw new CliError(`the server settings in the environment are invalid: ${(error as Error).message}`);
  }
  try {
    return { databaseUrl, database: await openDatabase(databaseUrl) };
  } catch (error) {
    throw new CliError(
      `cannot open the database ${displayDatabase(databaseUrl)}: ${(error as Error).message}`,
      'check DATABASE_URL or SWITCHYARD_DATA_DIR, and that the database is reachable',
    );
  }
}

export function registerLocal(program: Command, context: CommandContext): void {
  const { out, io } = context;

  program
    .command('start')
    .description('run the Switchyard server (authoring API, SDK endpoints, console)')
    .option('--port <port>', 'port to listen on (PORT, default 8080)')
    .option('--host <host>', 'address to listen on (SWITCHYARD_HOST, default 0.0.0.0)')
    .addHelpText(
      'after',
      `${DATABASE_HELP} Migrations run at start. On the first start the server prints a console key
and a one-time setup token for the first admin (or use \`switchyard admin create\`).

Example:
  $ SWITCHYARD_DATA_DIR=/var/lib/switchyard switchyard start --port 8080`,
    )
    .action(async (options: { port?: string; host?: string }) => {
      const { readConfig, startServer } = await import('@switchyard/server');
      const argv = [
        ...(options.port ? ['--port', options.port] : []),
        ...(options.host ? ['--host', options.host] : []),
      ];
      let config: ReturnType<typeof readConfig>;
      try {
        config = readConfig(argv, io.env);
      } catch (error) {
        throw new UsageError(`invalid server settings: ${(error as Error).message}`);
      }
      const server = await startServer(config);
      server.app.http.log.info(`Switchyard listening on ${server.url}`);
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      await server.close();
    });

  program
    .command('migrate')
    .description("bring the server's database schema up to date, and say which migrations ran")
    .option('--json', 'print {"database", "applied": [...], "total"} as JSON')
    .addHelpText(
      'after',
      `${DATABASE_HELP} \`switchyard start\` migrates too; run this before a deploy to see it happen.`,
    )
    .action(async (options: { json?: boolean }) => {
      const { appliedMigrations } = await import('@switchyard/server');
      const startedAt = new Date().toISOString();
      const { databaseUrl, database } = await openLocalDatabase(context);
      try {
        const all = await appliedMigrations(database.db as never);
        const applied = all
          .filter((migration) => migration.appliedAt >= startedAt)
          .map((migration) => migration.name);
        const result = { database: displayDatabase(databaseUrl), applied, total: all.length };
        if (options.json) return out.json(result);
        out.line(`Database: ${result.database}`);
        if (applied.length === 0) out.line(`Up to date: all ${all.length} migrations had been applied.`);
        else {
          out.line(
            `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} (${all.length} in all):`,
          );
          for (const name of applied) out.line(`  ${name}`);
        }
      } finally {
        await database.close();
      }
    });

  const admin = program.command('admin').description('console users, on the local database');
  admin
    .command('create')
    .description('create a console admin in the database (works before the server has any user)')
    .requiredOption('--email <email>', 'their sign-in email')
    .option('--name <name>', 'their name (default: the part of the email before @)')
    .option('--password-stdin', 'read the password from stdin instead of asking for it')
    .option('--json', 'the created user, as JSON')
    .addHelpText(
      'after',
      `${DATABASE_HELP} The password is asked for twice without echo, or read from stdin:

  $ switchyard admin create --email ana@example.com
  $ printf '%s' "$ADMIN_PASSWORD" | switchyard admin create --email ana@example.com --password-stdin`,
    )
    .action(async (options: { email: string; name?: string; passwordStdin?: boolean; json?: boolean }) => {
      const { emailField, passwordField, EntityStore, UserStore } = await import('@switchyard/server');
      const email = emailField.safeParse(options.email);
      if (!email.success) throw new UsageError(`--email: "${options.email}" is not an email address`);
      const name = options.name?.trim() || options.email.trim().split('@')[0] || email.data;
      let password: string;
      if (options.passwordStdin) {
        password = await readAllStdin(io);
      } else {
        password = await promptSecret(io, `Password for ${email.data}: `);
        const again = await promptSecret(io, 'Again: ');
        if (again !== password) throw new CliError('the passwords differ', 'run the command again');
      }
      const checked = passwordField.safeParse(password);
      if (!checked.success)
        throw new CliError(
          `the password is too ${password.length < 10 ? 'short' : 'long'}: ${checked.error.issues[0]?.message}`,
        );
      const { database } = await openLocalDatabase(context);
      try {
        const user = await new UserStore(database.db).create({
          email: email.data,
          name,
          role: 'admin',
          password,
        });
        // Audited like a user created through the API, by who ran the command on this host.
        await new EntityStore(database.db).appendAudit({
          kind: 'user',
          name: user.email,
          before: null,
          after: { role: user.role, name: user.name, disabled: false },
          change: { actor: `cli:${safeUsername()}`, action: 'create' },
          now: Date.now(),
        });
        if (options.json) return out.json(user);
        out.line(`Created admin ${user.email} (${user.name}). They can sign in to the console now.`);
      } catch (error) {
        if ((error as { code?: string }).code === 'email_taken') {
          throw new CliError(
            `a user with email ${email.data} exists already`,
            'reset their password in the console (Users) instead',
          );
        }
        throw error;
      } finally {
        await database.close();
      }
    });

  program
    .command('demo')
    .description('play the release story end to end on a fresh database (about a minute)')
    .option(
      '--data-dir <dir>',
      'where its database goes (emptied first, kept afterwards)',
      '.switchyard-demo',
    )
    .addHelpText(
      'after',
      '\nEmployees, then a 5% canary that regresses, then the guardrail monitor rolls it back by itself.',
    )
    .action(async (options: { dataDir: string }) => {
      const { runDemo } = await import('../demo/run-demo.js');
      const report = await runDemo({ dataDir: options.dataDir, print: (line) => out.line(line) });
      if (!report.rolledBack) context.exitCode = 1;
    });
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
