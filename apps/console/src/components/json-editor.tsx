import type { JsonObject } from '../api/types.js';
import { Field, useFieldError } from './field-errors.js';

export type JsonParse = { ok: true; value: JsonObject } | { ok: false; error: string };

/** Text -> a JSON object (what configs, groups and layers return), or why it is not one. */
export function parseJsonObject(text: string): JsonParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not valid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'must be a JSON object: { "key": value, … }' };
  }
  return { ok: true, value: value as JsonObject };
}

/**
 * A JSON editor: a monospace textarea checked as you type; the form refuses to save while it
 * does not parse (the API's own errors about it show here too).
 */
export function JsonTextarea({
  label,
  path,
  value,
  onChange,
  rows,
}: {
  label: string;
  path?: string;
  value: string;
  onChange: (value: string) => void;
  rows?: number;
}) {
  const parsed = parseJsonObject(value);
  const apiError = useFieldError(path);
  return (
    <Field
      label={label}
      path={path}
      className="field-grow"
      hint={parsed.ok && !apiError ? 'Valid JSON' : undefined}
      clientError={parsed.ok ? undefined : parsed.error}
    >
      {(props) => (
        <textarea
          {...props}
          className="code"
          spellCheck={false}
          rows={rows ?? Math.min(16, Math.max(3, value.split('\n').length + 1))}
          value={value}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </Field>
  );
}
