// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonTextarea, parseJsonObject } from './json-editor.js';

afterEach(cleanup);

function Harness() {
  const [value, setValue] = useState('{}');
  return <JsonTextarea label="Default value" value={value} onChange={setValue} />;
}

describe('JSON editor', () => {
  it('accepts objects only', () => {
    expect(parseJsonObject('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonObject('[1]').ok).toBe(false);
    expect(parseJsonObject('{"a": ').ok).toBe(false);
  });

  it('marks the field invalid while the text does not parse, with the reason next to it', () => {
    render(<Harness />);
    const field = screen.getByLabelText('Default value');
    expect(field.getAttribute('aria-invalid')).toBeNull();
    fireEvent.change(field, { target: { value: '{"title": ' } });
    expect(field.getAttribute('aria-invalid')).toBe('true');
    const described = document.getElementById(field.getAttribute('aria-describedby') ?? '');
    expect(described?.textContent).toMatch(/^not valid JSON/);
    fireEvent.change(field, { target: { value: '"text"' } });
    expect(document.getElementById(field.getAttribute('aria-describedby') ?? '')?.textContent).toBe(
      'must be a JSON object: { "key": value, … }',
    );
    fireEvent.change(field, { target: { value: '{"title": "Pay"}' } });
    expect(field.getAttribute('aria-invalid')).toBeNull();
  });
});
