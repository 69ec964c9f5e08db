import type { FormEvent, ReactNode } from 'react';
import { usePermission } from '../access/access-context.js';
import type { Role } from '../api/access-types.js';
import { useMutation } from '../api/use-api.js';
import { FieldErrors, focusFirstInvalid } from './field-errors.js';
import { ErrorBanner } from './status.js';

/**
 * A form that makes one API write: its fields see the write's error next to the paths they
 * name, the error's code and message show above the submit button, and focus moves to the
 * first field marked invalid. `blocked` is a problem found before sending (JSON that does not
 * parse): the button stays disabled and says why. So it does for someone whose role the write
 * needs (`needs`, editor by default): a viewer sees the form, not a button that can only fail.
 */
export function ApiForm<R>({
  label,
  send,
  onDone,
  submitLabel,
  pendingLabel = 'Saving…',
  errorTitle = 'Not saved',
  blocked,
  className,
  bar = 'save-bar',
  actions,
  needs = 'editor',
  children,
}: {
  /** The form's accessible name. */
  label: string;
  send: () => Promise<R>;
  onDone?: (result: R) => void;
  submitLabel: string;
  pendingLabel?: string;
  errorTitle?: string;
  blocked?: string | undefined;
  className?: string;
  /** `save-bar` sticks to the bottom of long editors; `button-row` is a plain row. */
  bar?: 'save-bar' | 'button-row';
  /** More buttons or a status next to the submit button. */
  actions?: ReactNode;
  needs?: Role;
  children: ReactNode;
}) {
  const permission = usePermission(needs);
  const refusal = blocked ?? permission.reason;
  const write = useMutation(send);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (refusal) {
      if (blocked) focusFirstInvalid();
      return;
    }
    const result = await write.run();
    if (result !== undefined) onDone?.(result);
    else focusFirstInvalid();
  };
  return (
    <form className={className} onSubmit={submit} aria-label={label}>
      <FieldErrors error={write.error}>{children}</FieldErrors>
      <ErrorBanner error={write.error} title={errorTitle} />
      <div className={bar}>
        <button
          type="submit"
          className="primary"
          disabled={write.pending || Boolean(refusal)}
          title={permission.reason}
        >
          {write.pending ? pendingLabel : submitLabel}
        </button>
        {blocked && <span className="field-error">{blocked}</span>}
        {!blocked && permission.reason && <span className="hint">{permission.reason}</span>}
        {actions}
      </div>
    </form>
  );
}
