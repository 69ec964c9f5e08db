/**
 * Wire shapes of sign-in, users, protected environments and change requests, written from
 * packages/server/src/routes/{auth,users,environments,change-requests}.ts.
 */

/** What a person (or a console key) may do: look; change configuration; also keys and users. */
export type Role = 'viewer' | 'editor' | 'admin';

export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: number;
  disabledAt: number | null;
}

/** What sign-in, setup and `GET /auth/session` answer; the cookie itself is httpOnly. */
export interface Session {
  user: User;
  csrfToken: string;
  csrfHeader: string;
}

/** Who may change what an environment's SDKs are served; null on an environment: any editor. */
export interface EnvironmentPolicy {
  minRole: 'editor' | 'admin';
  requireApproval: boolean;
}

export type ChangeRequestStatus = 'pending' | 'approved' | 'rejected' | 'applied';

export interface ChangeRequest {
  id: number;
  /** The object kind as stored (`gate`); requests are made with its API path (`gates`). */
  kind: string;
  name: string;
  /** `create`, `update`, `revert` or `action:<name>`. */
  operation: string;
  body: Record<string, unknown>;
  expectedVersion: number | null;
  reason: string | null;
  status: ChangeRequestStatus;
  requestedBy: string;
  requestedAt: number;
  reviewedBy: string | null;
  reviewedAt: number | null;
  appliedVersion: number | null;
}

export interface ChangeRequestDetail extends ChangeRequest {
  preview: {
    before: unknown;
    after: unknown;
    /** Why applying it now would fail (the object changed, a bad body), or null. */
    problem: string | null;
    /** The protected environments whose served configuration it changes. */
    environments: string[];
  };
}

/** `POST /change-requests`: a write that needs approval, sent for review as it was. */
export interface ChangeRequestInput {
  /** The kind's API path: `gates`, `configs`, ... */
  kind: string;
  name: string;
  operation: string;
  body: Record<string, unknown>;
  expectedVersion?: number;
  reason?: string;
}
