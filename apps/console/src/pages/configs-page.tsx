import { useState } from 'react';
import type { DynamicConfig, Environment } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { ApiForm } from '../components/api-form.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { byNewest, ChangedCell, DataTable, NameCell } from '../components/data-table.js';
import { JsonTextarea, parseJsonObject } from '../components/json-editor.js';
import { QuickCreate } from '../components/quick-create.js';
import { EmptyState, Loaded } from '../components/status.js';
import { formatRelative } from '../format.js';
import { useConditionSuggestions } from '../gates/gate-page.js';
import { HistoryPanel } from '../gates/history-panel.js';
import { fromApiRule, type RuleDraft, RulesEditor, toApiRule } from '../gates/rules-editor.js';
import { Link } from '../router.js';

export function ConfigsPage() {
  const configs = useResource<{ configs: DynamicConfig[] }>('/configs');
  return (
    <section aria-labelledby="configs-title">
      <h1 id="configs-title">Dynamic configs</h1>
      <p className="muted">
        JSON values served to SDKs, with rules like a gate's: the first matching rule's value wins.
      </p>
      <QuickCreate collection="configs" label="config" />
      <Loaded resource={configs} label="configs">
        {({ configs: list }) =>
          list.length === 0 ? (
            <EmptyState title="No dynamic configs yet" />
          ) : (
            <DataTable
              label="Dynamic configs"
              columns={['Name', 'Status', 'Rules', 'Default value', 'Last change']}
            >
              {[...list].sort(byNewest).map((config) => (
                <tr key={config.name}>
                  <NameCell
                    name={config.name}
                    to={`/configs/${encodeURIComponent(config.name)}`}
                    description={config.description}
                  />
                  <td>
                    <span className={`badge ${config.enabled ? 'on' : 'off'}`}>
                      {config.enabled ? 'On' : 'Off'}
                    </span>
                  </td>
                  <td>{config.rules.length}</td>
                  <td className="json-cell">{JSON.stringify(config.defaultValue)}</td>
                  <ChangedCell at={config.updatedAt} />
                </tr>
              ))}
            </DataTable>
          )
        }
      </Loaded>
    </section>
  );
}

export function ConfigPage({ name }: { name: string }) {
  const config = useResource<DynamicConfig>(`/configs/${encodeURIComponent(name)}`);
  const environments = useResource<{ environments: Environment[] }>('/environments');
  return (
    <Loaded resource={config} label={`config ${name}`}>
      {(data) => (
        <article aria-labelledby="config-title">
          <p className="breadcrumbs">
            <Link to="/configs">Dynamic configs</Link> /
          </p>
          <header className="page-header">
            <div>
              <h1 id="config-title">{data.name}</h1>
              {data.description && <p className="lead">{data.description}</p>}
              <p className="muted small">
                <span className={`badge ${data.enabled ? 'on' : 'off'}`}>{data.enabled ? 'On' : 'Off'}</span>{' '}
                version {data.version} · changed {formatRelative(data.updatedAt)}
              </p>
            </div>
            <ConfigSwitch config={data} onChanged={config.setData} />
          </header>
          <ConfigEditor
            key={data.version}
            config={data}
            environments={environments.data?.environments ?? []}
            onSaved={config.setData}
          />
          <HistoryPanel
            kind="configs"
            name={data.name}
            current={data.version}
            onReverted={(c) => config.setData(c as DynamicConfig)}
          />
        </article>
      )}
    </Loaded>
  );
}

function ConfigSwitch({
  config,
  onChanged,
}: {
  config: DynamicConfig;
  onChanged: (c: DynamicConfig) => void;
}) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const action = config.enabled ? 'disable' : 'enable';
  const mutation = useMutation(async () =>
    api.post<DynamicConfig>(`/configs/${encodeURIComponent(config.name)}/${action}`, {}),
  );
  return (
    <>
      <button type="button" className={config.enabled ? 'danger' : 'primary'} onClick={() => setOpen(true)}>
        {config.enabled ? 'Turn off' : 'Turn on'}
      </button>
      {open && (
        <ConfirmDialog
          title={config.enabled ? `Turn off ${config.name}?` : `Turn ${config.name} back on?`}
          confirmLabel={config.enabled ? 'Turn off' : 'Turn on'}
          tone={config.enabled ? 'danger' : 'primary'}
          pending={mutation.pending}
          error={mutation.error}
          onCancel={() => setOpen(false)}
          onConfirm={async () => {
            const updated = await mutation.run();
            if (updated) {
              setOpen(false);
              onChanged(updated);
            }
          }}
        >
          <p>{config.enabled ? 'Everyone gets the default value.' : 'The rules decide again.'}</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function ConfigEditor({
  config,
  environments,
  onSaved,
}: {
  config: DynamicConfig;
  environments: Environment[];
  onSaved: (c: DynamicConfig) => void;
}) {
  const api = useApi();
  const [defaultValue, setDefaultValue] = useState(() => JSON.stringify(config.defaultValue, null, 2));
  const [rules, setRules] = useState<RuleDraft[]>(() => config.rules.map(fromApiRule));
  const suggestions = useConditionSuggestions(rules);
  const invalid =
    !parseJsonObject(defaultValue).ok || rules.some((rule) => !parseJsonObject(rule.value ?? '{}').ok);
  return (
    <ApiForm
      label="Config value and rules"
      submitLabel="Save config"
      blocked={invalid ? 'Fix the JSON before saving.' : undefined}
      send={() => {
        const parsed = parseJsonObject(defaultValue);
        return api.patch<DynamicConfig>(
          `/configs/${encodeURIComponent(config.name)}`,
          { defaultValue: parsed.ok ? parsed.value : {}, rules: rules.map(toApiRule) },
          config.version,
        );
      }}
      onDone={onSaved}
    >
      <JsonTextarea
        label="Default value (JSON object)"
        path="defaultValue"
        value={defaultValue}
        onChange={setDefaultValue}
      />
      <h2>Rules</h2>
      <RulesEditor
        rules={rules}
        onChange={setRules}
        environments={environments}
        suggestions={suggestions}
        withValue
      />
    </ApiForm>
  );
}
