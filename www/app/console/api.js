// The console's only way out: the receiver's admin API on this page's own origin, with the
// admin token of this tab. Every failure becomes an ApiError whose `kind` says which state
// the page shows: `signed-out`, `unauthorized` (401), `off` (404 on an admin path: the API
// is off, or the receiver is older than the path), `not-found` (404 for an id),
// `unavailable` (503), `network`, `failed` (anything else).

const TOKEN_KEY = 'digivault-webhooks.admin-token';

/** The admin token, kept in sessionStorage: this tab only, gone when it closes. */
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A failed admin call: `kind` (see above), the HTTP `status` and the API's `code`. */
export class ApiError extends Error {
  constructor(kind, message, { status, code } = {}) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.code = code;
  }
}

function kindOf(status, code) {
  if (status === 401) return 'unauthorized';
  // The router's 404 (`NOT_FOUND`, or not JSON at all: a static server) means no such
  // path; an id that is not there has its own code (`EVENT_NOT_FOUND`, `FAILURE_NOT_FOUND`).
  if (status === 404) return code === undefined || code === 'NOT_FOUND' ? 'off' : 'not-found';
  if (status === 503) return 'unavailable';
  return 'failed';
}

/**
 * Calls the admin API: `path` under this origin (`/admin/...`), `query` an object whose
 * empty values are left out. Resolves to the JSON answer (`{}` for an empty one).
 */
export async function api(path, { method = 'GET', query = {} } = {}) {
  const secret = token.get();
  if (!secret) throw new ApiError('signed-out', 'Not signed in.');
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const url = params.size > 0 ? `${path}?${params}` : path;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${secret}`, accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    });
  } catch (error) {
    throw new ApiError('network', error.message);
  }
  const text = await response.text().catch(() => '');
  let body = null;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    body = null;
  }
  if (response.ok) {
    if (body === null) throw new ApiError('failed', 'the receiver answered something that is not JSON', { status: response.status });
    return body;
  }
  const code = typeof body?.code === 'string' ? body.code : undefined;
  const message = typeof body?.message === 'string' ? body.message : `HTTP ${response.status}`;
  throw new ApiError(kindOf(response.status, code), message, { status: response.status, code });
}
