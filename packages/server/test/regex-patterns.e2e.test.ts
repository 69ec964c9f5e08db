/**
 * `str_matches` patterns: refused when written if SDKs would never run them, and a hostile
 * pattern that is accepted (it runs in linear time) does not stall an evaluation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { type OpenDatabase, openDatabase } from '../src/store/database.js';

const CONSOLE = 'console-regex-patterns-key';

describe('str_matches patterns', () => {
  let database: OpenDatabase;
  let app: App;
  beforeEach(async () => {
    database = await openDatabase(':memory:');
    app = await buildApp({ database });
    await app.keys.ensure('production', 'console', CONSOLE);
  });
  afterEach(async () => {
    await app.http.close();
    await database.close();
  });

  const gate = (name: string, pattern: string) =>
    app.http.inject({
      method: 'POST',
      url: '/api/v1/gates',
      headers: { authorization: `Bearer ${CONSOLE}` },
      payload: {
        name,
        rules: [
          {
            name: 'pattern',
            passPercentage: 100,
            conditions: [{ type: 'user_field', field: 'email', operator: 'str_matches', value: pattern }],
          },
        ],
      },
    });

  it('refuses a pattern no SDK would run, naming the field', async () => {
    for (const pattern of ['(.*)\\1$', '([']) {
      const response = await gate('refused', pattern);
      expect(response.statusCode, pattern).toBe(400);
      expect(response.json().error.details.field).toBe('body.rules.0.conditions.0.value');
      expect(response.json().error.message).toMatch(/str_matches pattern/);
    }
  });

  it('accepts a catastrophic-backtracking pattern and evaluates it against a hostile value at once', async () => {
    expect((await gate('employees', '@company\\.com$')).statusCode).toBe(201);
    expect((await gate('hostile', '^(a+)+$')).statusCode).toBe(201);
    const evaluate = await app.http.inject({
      method: 'POST',
      url: '/api/v1/evaluate',
      headers: { authorization: `Bearer ${CONSOLE}` },
      // 999 characters: the longest value str_matches reads; (a+)+$ backtracks 2^n on it natively.
      payload: { user: { userID: 'u1', email: `${'a'.repeat(998)}!` } },
    });
    expect(evaluate.statusCode, evaluate.body).toBe(200);
    const gates = evaluate.json().gates as { name: string; value: boolean }[];
    expect(gates.find((g) => g.name === 'hostile')?.value).toBe(false);
    expect(gates.find((g) => g.name === 'employees')?.value).toBe(false);
  });
});
