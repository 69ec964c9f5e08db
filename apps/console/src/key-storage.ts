/** The console key lives in localStorage (this browser only); signing out removes it. */
const STORAGE_KEY = 'switchyard.consoleKey';

export function readStoredKey(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string): void {
  window.localStorage.setItem(STORAGE_KEY, key);
}

export function clearStoredKey(): void {
  try {
    window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled: nothing was kept.
  }
}
