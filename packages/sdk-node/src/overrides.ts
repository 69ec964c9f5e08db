/** Values forced by tests: per name, for one user ID or (key `null`) for everyone. */
export class Overrides<T> {
  private readonly byName = new Map<string, Map<string | null, T>>();

  get size(): number {
    return this.byName.size;
  }

  set(name: string, value: T, userID: string | null): void {
    let forName = this.byName.get(name);
    if (!forName) {
      forName = new Map();
      this.byName.set(name, forName);
    }
    forName.set(userID, value);
  }

  /** The override for this user, else the one for everyone, else undefined. */
  find(name: string, userID: unknown): { value: T } | undefined {
    const forName = this.byName.get(name);
    if (!forName) return undefined;
    if (userID !== undefined && userID !== null) {
      const key = String(userID);
      if (forName.has(key)) return { value: forName.get(key) as T };
    }
    return forName.has(null) ? { value: forName.get(null) as T } : undefined;
  }

  /** Removes one name's overrides, or every override. */
  clear(name?: string): void {
    if (name === undefined) this.byName.clear();
    else this.byName.delete(name);
  }
}
