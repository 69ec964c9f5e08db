/**
 * The React bindings rendered on the server (react-dom/server) with values bootstrapped from a
 * real server: the first render already has them, without any request. Re-rendering on
 * updates needs a DOM and is covered in browser.e2e.test.ts.
 */
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type InitializeResponse, SwitchyardClient } from '../src/index.js';
import { SwitchyardProvider, useConfig, useExperiment, useGate, useLayer } from '../src/react.js';
import { installBrowserGlobals } from './support/browser-globals.js';
import { CLIENT_KEY, startTestServer, type TestServer } from './support/switchyard-server.js';

let server: TestServer;
let bootstrap: InitializeResponse;
const USER = { userID: 'ada', email: 'ada@company.com' };

beforeAll(async () => {
  installBrowserGlobals();
  server = await startTestServer();
  await server.authoring('POST', '/gates', {
    name: 'new_checkout',
    rules: [
      {
        name: 'staff',
        conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
      },
    ],
  });
  await server.authoring('POST', '/configs', { name: 'copy', defaultValue: { headline: 'Hello' } });
  await server.authoring('POST', '/layers', { name: 'page', defaultValue: { color: 'grey' } });
  await server.authoring('POST', '/experiments', {
    name: 'color_test',
    layer: 'page',
    groups: [
      { name: 'Blue', weight: 50, parameters: { color: 'blue' } },
      { name: 'Green', weight: 50, parameters: { color: 'green' } },
    ],
  });
  await server.authoring('POST', '/experiments/color_test/start');
  bootstrap = (await server.initialize(USER)) as InitializeResponse;
});

afterAll(async () => {
  await server.close();
});

function Page() {
  const gate = useGate('new_checkout');
  const experiment = useExperiment('color_test');
  return (
    <main>
      <h1>{useConfig('copy').get('headline', 'Hi')}</h1>
      <p id="checkout">{gate.value ? 'new checkout' : 'old checkout'}</p>
      <p id="color">{useLayer('page').get('color', 'none')}</p>
      <p id="group">{experiment.groupName ?? 'no group'}</p>
      <p id="reason">{gate.reason}</p>
    </main>
  );
}

describe('React bindings', () => {
  it('renders the bootstrapped values in the first render, without any request', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    try {
      const html = renderToString(
        <SwitchyardProvider clientKey={CLIENT_KEY} user={USER} options={{ api: server.api, bootstrap }}>
          <Page />
        </SwitchyardProvider>,
      );
      const group = (bootstrap.dynamic_configs.color_test as { group_name: string }).group_name;
      expect(html).toContain('<h1>Hello</h1>');
      expect(html).toContain('new checkout');
      expect(html).toContain(`<p id="color">${group === 'Blue' ? 'blue' : 'green'}</p>`);
      expect(html).toContain(`<p id="group">${group}</p>`);
      expect(html).toContain('Bootstrap');
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('renders defaults with the reason when there are no values yet', () => {
    const html = renderToString(
      <SwitchyardProvider clientKey={CLIENT_KEY} user={{ userID: 'no-cache' }} options={{ api: server.api }}>
        <Page />
      </SwitchyardProvider>,
    );
    expect(html).toContain('old checkout');
    expect(html).toContain('<p id="color">none</p>');
    expect(html).toContain('Loading');
  });

  it('uses a client given to the provider, and defaults outside any provider', async () => {
    const client = new SwitchyardClient(CLIENT_KEY, { api: server.api, stream: false });
    await client.initialize(USER);
    expect(
      renderToString(
        <SwitchyardProvider client={client}>
          <Page />
        </SwitchyardProvider>,
      ),
    ).toContain('new checkout');
    const outside = renderToString(<Page />);
    expect(outside).toContain('old checkout');
    expect(outside).toContain('Uninitialized');
    await client.shutdown();
  });
});
