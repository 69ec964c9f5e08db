import { useState } from 'react';
import { usePermission } from '../access/access-context.js';
import { needsApproval, WriteError, withoutReason } from '../access/request-approval.js';
import type { Environment, Gate } from '../api/types.js';
import { useApi, useMutation } from '../api/use-api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Field, FieldErrors } from '../components/field-errors.js';

type Direction = 'off' | 'on';

interface Pending {
  direction: Direction;
  /** null: everywhere. */
  environments: string[] | null;
}

/** Whether turning the gate off should also stop its release (so the monitor does not push it on). */
function releaseRunning(gate: Gate): boolean {
  return (
    gate.releasePlan !== null &&
    (gate.releasePlan.status === 'active' || gate.releasePlan.status === 'paused')
  );
}

/**
 * The request a kill-switch press makes. With a release in progress, turning off is the
 * gate's `rollback` action with `kill` (the gate goes off and the plan stops, as the guardrail
 * monitor does); otherwise `disable`. Turning on is `enable` (a stopped release is resumed from
 * the release tab).
 */
export function killSwitchRequest(
  gate: Gate,
  pending: Pending,
  reason: string,
): { action: string; body: Record<string, unknown> } {
  const body: Record<string, unknown> = {};
  if (pending.environments) body.environments = pending.environments;
  if (reason.trim()) body.reason = reason.trim();
  if (pending.direction === 'on') return { action: 'enable', body };
  if (releaseRunning(gate)) return { action: 'rollback', body: { ...body, action: 'kill' } };
  return { action: 'disable', body };
}

/**
 * The kill switch, everywhere or per environment, always through a confirmation dialog with
 * a reason (kept in the audit log).
 */
export function KillSwitch({
  gate,
  environments,
  onChanged,
}: {
  gate: Gate;
  environments: Environment[];
  onChanged: (gate: Gate) => void;
}) {
  const api = useApi();
  const write = usePermission('editor');
  const [pending, setPending] = useState<Pending | null>(null);
  const [reason, setReason] = useState('');
  const mutation = useMutation(async (request: Pending) => {
    const { action, body } = killSwitchRequest(gate, request, reason);
    return api.post<Gate>(`/gates/${encodeURIComponent(gate.name)}/${action}`, body);
  });

  const open = (direction: Direction, scope: string[] | null) => {
    mutation.clear();
    setReason('');
    setPending({ direction, environments: scope });
  };
  const confirm = async () => {
    if (!pending) return;
    const updated = await mutation.run(pending);
    if (updated) {
      setPending(null);
      onChanged(updated);
    }
  };

  const envState = (name: string) => gate.enabled && !gate.disabledIn.includes(name);

  return (
    <div className="kill-switch">
      <div className="kill-switch-main">
        {gate.enabled ? (
          <button
            type="button"
            className="danger big"
            disabled={!write.allowed}
            title={write.reason}
            onClick={() => open('off', null)}
          >
            Turn off everywhere
          </button>
        ) : (
          <button
            type="button"
            className="primary big"
            disabled={!write.allowed}
            title={write.reason}
            onClick={() => open('on', null)}
          >
            Turn on everywhere
          </button>
        )}
      </div>
      {environments.length > 0 && (
        <table className="table compact environments-state" aria-label="State per environment">
          <thead>
            <tr>
              <th scope="col">Environment</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {environments.map(({ name }) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>
                  <span className={`badge ${envState(name) ? 'on' : 'off'}`}>
                    {envState(name) ? 'On' : 'Off'}
                  </span>
                </td>
                <td>
                  {envState(name) ? (
                    <button
                      type="button"
                      className="small danger-text"
                      disabled={!write.allowed}
                      title={write.reason}
                      onClick={() => open('off', [name])}
                    >
                      Turn off in {name}
                    </button>
                  ) : gate.disabledIn.includes(name) ? (
                    <button
                      type="button"
                      className="small"
                      disabled={!write.allowed}
                      title={write.reason}
                      onClick={() => open('on', [name])}
                    >
                      Turn on in {name}
                    </button>
                  ) : (
                    <span className="muted small">off everywhere</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pending && (
        <ConfirmDialog
          title={pending.direction === 'off' ? `Turn off ${gate.name}?` : `Turn ${gate.name} back on?`}
          confirmLabel={pending.direction === 'off' ? 'Turn off' : 'Turn on'}
          tone={pending.direction === 'off' ? 'danger' : 'primary'}
          pending={mutation.pending}
          error={needsApproval(mutation.error) ? undefined : mutation.error}
          confirmDisabled={needsApproval(mutation.error)}
          onConfirm={confirm}
          onCancel={() => setPending(null)}
        >
          <p>
            {pending.direction === 'off'
              ? 'Everyone gets the default (false)'
              : 'The gate serves its rules again'}{' '}
            {pending.environments ? `in ${pending.environments.join(', ')}` : 'in every environment'}. SDKs
            hear of the change within seconds.
          </p>
          {pending.direction === 'off' && releaseRunning(gate) && (
            <p className="warning">
              The release plan stops here (rolled back); resume it from the Release tab.
            </p>
          )}
          <FieldErrors error={mutation.error}>
            <Field label="Reason" path="reason" hint="Kept in the audit log">
              {(props) => (
                <textarea
                  {...props}
                  rows={2}
                  value={reason}
                  placeholder={pending.direction === 'off' ? 'e.g. checkout errors after deploy' : ''}
                  onChange={(event) => setReason(event.target.value)}
                />
              )}
            </Field>
          </FieldErrors>
          {needsApproval(mutation.error) && (
            <WriteError
              error={mutation.error}
              change={() => {
                const { action, body } = killSwitchRequest(gate, pending, reason);
                return {
                  kind: 'gates',
                  name: gate.name,
                  operation: `action:${action}`,
                  body: withoutReason(body),
                  expectedVersion: gate.version,
                  ...(reason.trim() && { reason: reason.trim() }),
                };
              }}
            />
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}
