import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { ApiClient } from '../api/client.js';
import { ApiContext } from '../api/use-api.js';

/** Renders with an API client (its fetch is whatever the test stubbed). */
export function renderWithApi(ui: ReactElement) {
  return render(<ApiContext.Provider value={new ApiClient('console-test')}>{ui}</ApiContext.Provider>);
}
