import { type ReactNode, useEffect, useRef, useState } from 'react';
import type { Webhook, WebhookDelivery, WebhookFormat } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { ApiForm } from '../components/api-form.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { byName, ChangedCell, DataTable, NameCell } from '../components/data-table.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { CheckboxField, SelectField, TextField } from '../components/text-field.js';

const webhookPath = (name: string) => `/webhooks/${encodeURIComponent(name)}`;

const DELIVERY_CLASS: Record<WebhookDelivery['status'], string> = {
  pending: 'warn',
  delivered: 'on',
  failed: 'off',
};

/** "guardrail.*, release.stage_changed" -> ["guardrail.*", "release.stage_changed"]. */
export function parseEvents(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((event) => event.trim())
    .filter(Boolean);
}

type Created = Webhook & { secret: string };
type TestOutcome = { name: string; delivered: boolean; delivery: WebhookDelivery };

/**
 * Webhooks: where notifications (rollbacks, alerts, release stages) are POSTed. The signing
 * secret is in the creation response only, so it is shown once, here, and never again.
 */
export function WebhooksPage() {
  const api = useApi();
  const webhooks = useResource<{ webhooks: Webhook[] }>('/webhooks');
  const [created, setCreated] = useState<Created | null>(null);
  const [toggling, setToggling] = useState<Webhook | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [editing, setEditing] = useState<Webhook | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<TestOutcome | null>(null);

  const toggle = useMutation(async (webhook: Webhook) =>
    api.patch<Webhook>(webhookPath(webhook.name), { enabled: !webhook.enabled }, webhook.version),
  );
  const remove = useMutation(async (webhook: Webhook) => {
    await api.request<null>(webhookPath(webhook.name), { method: 'DELETE', ifMatch: webhook.version });
    return true;
  });
  const test = useMutation(async (name: string) => {
    const result = await api.post<{ delivered: boolean; delivery: WebhookDelivery }>(
      `${webhookPath(name)}/test`,
      {},
    );
    return { name, ...result };
  });

  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <p className="muted">
        Switchyard POSTs notifications (rollbacks, alerts, release stages) to these URLs, signed with each
        webhook’s secret, or as Slack messages.
      </p>
      <NewWebhookForm
        onCreated={(webhook) => {
          setCreated(webhook);
          void webhooks.reload();
        }}
      />
      {created && <SecretNotice webhook={created} onDismiss={() => setCreated(null)} />}
      <ErrorBanner error={test.error} title="The test was not sent" />
      {outcome && (
        <div className={outcome.delivered ? 'card' : 'error-banner'} role="status">
          <p>
            <strong>
              Test to {outcome.name} {outcome.delivered ? 'delivered' : 'failed'}
            </strong>
            {outcome.delivery.lastStatusCode !== null && <> · HTTP {outcome.delivery.lastStatusCode}</>}
            {outcome.delivery.lastError && <> · {outcome.delivery.lastError}</>}
          </p>
          <button type="button" className="small" onClick={() => setOutcome(null)}>
            Dismiss
          </button>
        </div>
      )}
      <Loaded resource={webhooks} label="webhooks">
        {({ webhooks: list }) =>
          list.length === 0 ? (
            <EmptyState title="No webhooks yet">
              <p>Add one above to hear about rollbacks and alerts in Slack or your own service.</p>
            </EmptyState>
          ) : (
            <DataTable
              label="Webhooks"
              columns={[
                'Name',
                'Format',
                'Events',
                'Status',
                <span key="actions" className="visually-hidden">
                  Actions
                </span>,
              ]}
            >
              {[...list].sort(byName).map((webhook) => (
                <tr key={webhook.name}>
                  <NameCell name={webhook.name} description={webhook.url} />
                  <td>{webhook.format}</td>
                  <td>
                    {webhook.events.map((event) => (
                      <code key={event}>{event} </code>
                    ))}
                  </td>
                  <td>
                    <span className={`badge ${webhook.enabled ? 'on' : 'off'}`}>
                      {webhook.enabled ? 'enabled' : 'disabled'}
                    </span>
                  </td>
                  <td className="button-row">
                    <button
                      type="button"
                      className="small"
                      disabled={test.pending}
                      onClick={async () => {
                        setOutcome(null);
                        const result = await test.run(webhook.name);
                        if (result) {
                          setOutcome(result);
                          setOpen(webhook.name);
                        }
                      }}
                    >
                      Send test
                      <span className="visually-hidden"> to {webhook.name}</span>
                    </button>
                    <button
                      type="button"
                      className="small"
                      aria-expanded={open === webhook.name}
                      onClick={() => setOpen(open === webhook.name ? null : webhook.name)}
                    >
                      Deliveries
                      <span className="visually-hidden"> of {webhook.name}</span>
                    </button>
                    <button type="button" className="small" onClick={() => setEditing(webhook)}>
                      Edit
                      <span className="visually-hidden"> {webhook.name}</span>
                    </button>
                    <button
                      type="button"
                      className="small"
                      onClick={() => {
                        toggle.clear();
                        setToggling(webhook);
                      }}
                    >
                      {webhook.enabled ? 'Disable' : 'Enable'}
                      <span className="visually-hidden"> {webhook.name}</span>
                    </button>
                    <button
                      type="button"
                      className="small danger-text"
                      onClick={() => {
                        remove.clear();
                        setDeleting(webhook);
                      }}
                    >
                      Delete
                      <span className="visually-hidden"> {webhook.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </DataTable>
          )
        }
      </Loaded>
      {editing && (
        <EditWebhookForm
          key={editing.name}
          webhook={editing}
          onCancel={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void webhooks.reload();
          }}
        />
      )}
      {open && <Deliveries key={`${open}-${outcome?.delivery.id ?? ''}`} name={open} />}
      {toggling && (
        <ConfirmDialog
          title={`${toggling.enabled ? 'Disable' : 'Enable'} ${toggling.name}?`}
          confirmLabel={toggling.enabled ? 'Disable webhook' : 'Enable webhook'}
          tone={toggling.enabled ? 'danger' : 'primary'}
          pending={toggle.pending}
          error={toggle.error}
          onCancel={() => setToggling(null)}
          onConfirm={async () => {
            if (await toggle.run(toggling)) {
              setToggling(null);
              void webhooks.reload();
            }
          }}
        >
          <p>
            {toggling.enabled
              ? 'No new notifications are sent to it until it is enabled again.'
              : `Notifications are sent to ${toggling.url} again.`}
          </p>
        </ConfirmDialog>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete webhook"
          tone="danger"
          pending={remove.pending}
          error={remove.error}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            if (await remove.run(deleting)) {
              if (open === deleting.name) setOpen(null);
              if (editing?.name === deleting.name) setEditing(null);
              setDeleting(null);
              void webhooks.reload();
            }
          }}
        >
          <p>The webhook and its delivery history are deleted; pending deliveries are not sent.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

interface WebhookDraft {
  url: string;
  format: WebhookFormat;
  /** As typed: comma- or space-separated patterns. */
  events: string;
  enabled: boolean;
}

const FORMATS = [
  ['json', 'JSON (signed)'],
  ['slack', 'Slack message'],
] as const;

const bodyOf = (draft: WebhookDraft) => ({
  url: draft.url.trim(),
  format: draft.format,
  events: parseEvents(draft.events),
});

/** What a webhook is made of, for creating one and for editing it. */
function WebhookFields({
  draft,
  onChange,
  name,
  withEnabled = false,
}: {
  draft: WebhookDraft;
  onChange: (draft: WebhookDraft) => void;
  /** The name field, when creating. */
  name?: ReactNode;
  withEnabled?: boolean;
}) {
  const set = (changes: Partial<WebhookDraft>) => onChange({ ...draft, ...changes });
  return (
    <div className="form-grid">
      {name}
      <TextField
        label="URL"
        path="url"
        className="field-grow"
        type="url"
        required
        spellCheck={false}
        placeholder="https://hooks.slack.com/services/…"
        value={draft.url}
        onChange={(url) => set({ url })}
      />
      <SelectField
        label="Format"
        path="format"
        value={draft.format}
        onChange={(format) => set({ format })}
        options={FORMATS}
      />
      <TextField
        label="Events"
        path="events"
        hint="Comma-separated: * (everything), a type such as guardrail.rollback, or a prefix such as release.*"
        required
        spellCheck={false}
        value={draft.events}
        onChange={(events) => set({ events })}
      />
      {withEnabled && (
        <CheckboxField
          label="Enabled: send notifications to it"
          checked={draft.enabled}
          onChange={(enabled) => set({ enabled })}
        />
      )}
    </div>
  );
}

const NEW_WEBHOOK: WebhookDraft = { url: '', format: 'json', events: '*', enabled: true };

function NewWebhookForm({ onCreated }: { onCreated: (webhook: Created) => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [draft, setDraft] = useState(NEW_WEBHOOK);
  return (
    <ApiForm
      label="New webhook"
      className="card"
      bar="button-row"
      submitLabel="Create webhook"
      pendingLabel="Creating…"
      errorTitle="The webhook was not created"
      send={() => api.post<Created>('/webhooks', { name: name.trim(), ...bodyOf(draft) })}
      onDone={(webhook) => {
        setName('');
        setDraft({ ...draft, url: '' });
        onCreated(webhook);
      }}
    >
      <WebhookFields
        draft={draft}
        onChange={setDraft}
        name={
          <TextField label="Name" path="name" required spellCheck={false} value={name} onChange={setName} />
        }
      />
    </ApiForm>
  );
}

/** Changes a webhook in place (its name is its identity: deliveries and the audit log refer to it). */
function EditWebhookForm({
  webhook,
  onSaved,
  onCancel,
}: {
  webhook: Webhook;
  onSaved: (webhook: Webhook) => void;
  onCancel: () => void;
}) {
  const api = useApi();
  const [draft, setDraft] = useState<WebhookDraft>({ ...webhook, events: webhook.events.join(', ') });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="card" aria-labelledby="edit-webhook-title">
      <h2 id="edit-webhook-title" ref={heading} tabIndex={-1}>
        Edit {webhook.name}
      </h2>
      <p className="muted small">The name cannot change; the signing secret stays the same.</p>
      <ApiForm
        label={`Edit webhook ${webhook.name}`}
        bar="button-row"
        submitLabel="Save webhook"
        send={() =>
          api.patch<Webhook>(
            webhookPath(webhook.name),
            { ...bodyOf(draft), enabled: draft.enabled },
            webhook.version,
          )
        }
        onDone={onSaved}
        actions={
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        }
      >
        <WebhookFields draft={draft} onChange={setDraft} withEnabled />
      </ApiForm>
    </section>
  );
}

function SecretNotice({ webhook, onDismiss }: { webhook: Created; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret" role="status">
      <p>
        <strong>Signing secret for {webhook.name}.</strong> Copy it now: it will not be shown again. Verify
        each delivery’s <code>x-switchyard-signature</code> with it.
      </p>
      <p>
        <code data-testid="webhook-secret">{webhook.secret}</code>
      </p>
      <div className="button-row">
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard?.writeText(webhook.secret);
            setCopied(true);
          }}
        >
          {copied ? 'Copied' : 'Copy secret'}
        </button>
        <button type="button" onClick={onDismiss}>
          I have saved it
        </button>
      </div>
    </div>
  );
}

function Deliveries({ name }: { name: string }) {
  const deliveries = useResource<{ deliveries: WebhookDelivery[] }>(`${webhookPath(name)}/deliveries`, {
    limit: 20,
  });
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Recent deliveries to {name}</h2>
      <Loaded resource={deliveries} label="deliveries">
        {({ deliveries: list }) =>
          list.length === 0 ? (
            <EmptyState title="No deliveries yet">
              <p>Send a test to see one.</p>
            </EmptyState>
          ) : (
            <DataTable
              label={`Deliveries to ${name}`}
              columns={['Event', 'Status', 'Attempts', 'Last response', 'Created']}
            >
              {list.map((delivery) => (
                <tr key={delivery.id}>
                  <NameCell name={<code>{delivery.type}</code>} />
                  <td>
                    <span className={`badge ${DELIVERY_CLASS[delivery.status]}`}>{delivery.status}</span>
                  </td>
                  <td>
                    {delivery.attempts} / {delivery.maxAttempts}
                  </td>
                  <td>
                    {delivery.lastStatusCode !== null && `HTTP ${delivery.lastStatusCode} `}
                    {delivery.lastError && <span className="muted">{delivery.lastError}</span>}
                  </td>
                  <ChangedCell at={delivery.createdAt} />
                </tr>
              ))}
            </DataTable>
          )
        }
      </Loaded>
    </section>
  );
}
