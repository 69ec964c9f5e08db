import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { type Access, AccessContext, FULL_ACCESS } from '../access/access-context.js';
import { ApiClient } from '../api/client.js';
import { ApiContext } from '../api/use-api.js';

/**
 * Renders with an API client (its fetch is whatever the test stubbed), signed in as `access`
 * (by default a write key: every edit control shows).
 */
export function renderWithApi(ui: ReactElement, access: Access = FULL_ACCESS) {
  return render(
    <ApiContext.Provider value={new ApiClient('console-test')}>
      <AccessContext.Provider value={access}>{ui}</AccessContext.Provider>
    </ApiContext.Provider>,
  );
}
