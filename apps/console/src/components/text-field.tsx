import type { InputHTMLAttributes, ReactNode } from 'react';
import { Field } from './field-errors.js';

interface FieldFrame {
  label: ReactNode;
  /** Where the value goes in the request body, to show the API's error about it. */
  path?: string;
  hint?: ReactNode;
  className?: string;
  clientError?: string | undefined;
}

/** A labelled text input (or number, URL, date) with its hint and API error. */
export function TextField({
  label,
  path,
  hint,
  className,
  clientError,
  value,
  onChange,
  ...input
}: FieldFrame & {
  value: string;
  onChange: (value: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'id'>) {
  return (
    <Field label={label} {...{ path, hint, className, clientError }}>
      {(props) => <input {...input} {...props} value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}

/** A labelled select over `options` (value, then what it says). */
export function SelectField<V extends string>({
  label,
  path,
  hint,
  className,
  value,
  onChange,
  options,
  disabled,
}: FieldFrame & {
  value: V;
  onChange: (value: V) => void;
  options: readonly (readonly [V, string])[];
  disabled?: boolean;
}) {
  return (
    <Field label={label} {...{ path, hint, className }}>
      {(props) => (
        <select {...props} disabled={disabled} value={value} onChange={(e) => onChange(e.target.value as V)}>
          {options.map(([option, text]) => (
            <option key={option} value={option}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A labelled checkbox, level with the inputs of a form grid. */
export function CheckboxField({
  label,
  checked,
  onChange,
}: {
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <label className="inline checkbox-field">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      {label}
    </label>
  );
}
