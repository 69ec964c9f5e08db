import { createContext, type ReactNode, useContext, useId } from 'react';
import type { ApiError } from '../api/client.js';

/**
 * API errors next to the field they concern: a form provides the last error; each <Field>
 * names its path in the request body (`rules.0.conditions.1.value`) and shows the message of
 * an error at that path or inside it (a list item's error shows at the list).
 */
const FieldErrorsContext = createContext<ReadonlyMap<string, string>>(new Map());

export function FieldErrors({ error, children }: { error: ApiError | undefined; children: ReactNode }) {
  return (
    <FieldErrorsContext.Provider value={error ? error.fieldErrors : EMPTY}>
      {children}
    </FieldErrorsContext.Provider>
  );
}

const EMPTY: ReadonlyMap<string, string> = new Map();

/** The message for `path`, if the form's last error concerns it (or, unless `exact`, a path inside it). */
export function useFieldError(path: string | undefined, exact = false): string | undefined {
  const errors = useContext(FieldErrorsContext);
  if (path === undefined) return undefined;
  const own = errors.get(path);
  if (own !== undefined || exact) return own;
  for (const [field, message] of errors) {
    if (field.startsWith(`${path}.`)) return message;
  }
  return undefined;
}

export interface ControlProps {
  id: string;
  'aria-invalid'?: true;
  'aria-describedby'?: string;
}

/**
 * A labelled form control with its hint and API error. `children` renders the control with
 * the id and ARIA attributes it is given.
 */
export function Field({
  label,
  path,
  hint,
  className,
  clientError,
  children,
}: {
  label: ReactNode;
  /** A problem found before sending (e.g. JSON that does not parse); an API error wins. */
  clientError?: string | undefined;
  /** Where this field is in the request body, to match `details.field` of an API error. */
  path?: string;
  hint?: ReactNode;
  className?: string;
  children: (props: ControlProps) => ReactNode;
}) {
  const id = useId();
  const error = useFieldError(path) ?? clientError;
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        ...(error && { 'aria-invalid': true as const }),
        ...(describedBy && { 'aria-describedby': describedBy }),
      })}
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span className="field-error" id={`${id}-error`} data-field={path}>
          {error}
        </span>
      )}
    </div>
  );
}

/**
 * An API error for a path that has no single control (a list, a group of rows). `exact`: only
 * errors about the list itself, for lists whose items show their own errors.
 */
export function FieldMessage({ path, exact = false }: { path: string; exact?: boolean }) {
  const error = useFieldError(path, exact);
  if (!error) return null;
  return (
    <p className="field-error" data-field={path}>
      {error}
    </p>
  );
}

/** Moves focus to the first field an error marked, so keyboard users land where to fix it. */
export function focusFirstInvalid(root: ParentNode = document): void {
  requestAnimationFrame(() => {
    const invalid = root.querySelector<HTMLElement>('[aria-invalid="true"]');
    invalid?.focus();
  });
}
