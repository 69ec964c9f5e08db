import { type FormEvent, useState } from 'react';
import type { Webhook, WebhookDelivery, WebhookFormat } from '../api/types.js';
import { useApi, useMutation, useResource } from '../api/use-api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Field, FieldErrors, focusFirstInvalid } from '../components/field-errors.js';
import { EmptyState, ErrorBanner, Loaded } from '../components/status.js';
import { formatDateTime, formatRelative } from '../format.js';

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
            <table className="table" aria-label="Webhooks">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Format</th>
                  <th scope="col">Events</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...list]
                  .sort((a, b) => a.name.localeCompare(b.name))
                  .map((webhook) => (
                    <tr key={webhook.name}>
                      <th scope="row">
                        {webhook.name}
                        <div className="muted small">{webhook.url}</div>
                      </th>
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
                          Send test to {webhook.name}
                        </button>
                        <button
                          type="button"
                          className="small"
                          aria-expanded={open === webhook.name}
                          onClick={() => setOpen(open === webhook.name ? null : webhook.name)}
                        >
                          Deliveries of {webhook.name}
                        </button>
                        <button
                          type="button"
                          className="small"
                          onClick={() => {
                            toggle.clear();
                            setToggling(webhook);
                          }}
                        >
                          {webhook.enabled ? 'Disable' : 'Enable'} {webhook.name}
                        </button>
                        <button
                          type="button"
                          className="small danger-text"
                          onClick={() => {
                            remove.clear();
                            setDeleting(webhook);
                          }}
                        >
                          Delete {webhook.name}
                        </button>
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
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

function NewWebhookForm({ onCreated }: { onCreated: (webhook: Created) => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<WebhookFormat>('json');
  const [events, setEvents] = useState('*');
  const create = useMutation(async () =>
    api.post<Created>('/webhooks', {
      name: name.trim(),
      url: url.trim(),
      format,
      events: parseEvents(events),
    }),
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const webhook = await create.run();
    if (webhook) {
      setName('');
      setUrl('');
      onCreated(webhook);
    } else focusFirstInvalid();
  };
  return (
    <form className="card" onSubmit={submit} aria-label="New webhook">
      <FieldErrors error={create.error}>
        <div className="form-grid">
          <Field label="Name" path="name">
            {(props) => (
              <input
                {...props}
                required
                spellCheck={false}
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
            )}
          </Field>
          <Field label="URL" path="url" className="field-grow">
            {(props) => (
              <input
                {...props}
                type="url"
                required
                spellCheck={false}
                placeholder="https://hooks.slack.com/services/…"
                value={url}
                onChange={(e) => setUrl(e.target.value)}
              />
            )}
          </Field>
          <Field label="Format" path="format">
            {(props) => (
              <select {...props} value={format} onChange={(e) => setFormat(e.target.value as WebhookFormat)}>
                <option value="json">JSON (signed)</option>
                <option value="slack">Slack message</option>
              </select>
            )}
          </Field>
          <Field
            label="Events"
            path="events"
            hint="Comma-separated: * (everything), a type such as guardrail.rollback, or a prefix such as release.*"
          >
            {(props) => (
              <input
                {...props}
                required
                spellCheck={false}
                value={events}
                onChange={(e) => setEvents(e.target.value)}
              />
            )}
          </Field>
        </div>
      </FieldErrors>
      <ErrorBanner error={create.error} title="The webhook was not created" />
      <button type="submit" className="primary" disabled={create.pending}>
        Create webhook
      </button>
    </form>
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
            <table className="table" aria-label={`Deliveries to ${name}`}>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last response</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {list.map((delivery) => (
                  <tr key={delivery.id}>
                    <th scope="row">
                      <code>{delivery.type}</code>
                    </th>
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
                    <td title={formatDateTime(delivery.createdAt)}>{formatRelative(delivery.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </section>
  );
}
