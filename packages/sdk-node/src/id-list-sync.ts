import { ERROR_CODES, SwitchyardError, toSwitchyardError } from './errors.js';
import type { HttpClient } from './http-client.js';
import {
  applyListSlice,
  type IdListAnnouncement,
  type IdListState,
  type IdListStore,
  parseAnnouncements,
  planDownload,
} from './id-lists.js';

export interface IdListSyncOptions {
  http: HttpClient;
  store: IdListStore;
  /** `<server>/v1` */
  apiBase: string;
  headers: () => Record<string, string>;
  timeoutMs: number;
  onError: (error: SwitchyardError) => void;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/**
 * Keeps the ID lists current the way statsig-node does (protocol doc §6): `POST get_id_lists`,
 * then for each list with new bytes `GET <url>` with `Range: bytes=<read>-`, applying the
 * `+`/`-` lines. A new file id resets the list; the list files need no key (their URL
 * authorises them), so none is sent to them.
 */
export class IdListSync {
  private running: Promise<boolean> | undefined;
  private again = false;

  constructor(private readonly options: IdListSyncOptions) {}

  /** The sync under way, or a new one: for callers that need the lists current, not re-read. */
  current(): Promise<boolean> {
    return this.running ?? this.sync();
  }

  /** Brings every list up to date. Concurrent calls share one run (plus one more if asked during it). Never rejects. */
  sync(): Promise<boolean> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let changed = false;
      try {
        do {
          this.again = false;
          if (await this.syncOnce()) changed = true;
        } while (this.again);
      } catch (error) {
        this.options.onError(toSwitchyardError(error));
      }
      return changed;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async syncOnce(): Promise<boolean> {
    const response = await this.options.http.request({
      method: 'POST',
      url: `${this.options.apiBase}/get_id_lists`,
      headers: { ...this.options.headers(), 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: this.options.timeoutMs,
      background: true,
    });
    if (response.status < 200 || response.status >= 300) {
      throw new SwitchyardError(
        ERROR_CODES.httpStatus,
        `get_id_lists answered ${response.status}`,
        response.status,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new SwitchyardError(
        ERROR_CODES.invalidResponse,
        'get_id_lists answered with something other than JSON',
      );
    }
    const problems: string[] = [];
    const announced = parseAnnouncements(body, problems);
    for (const problem of problems)
      this.options.onError(new SwitchyardError(ERROR_CODES.invalidResponse, problem));

    const { lists } = this.options.store;
    let changed = false;
    const names = new Set(announced.map((list) => list.name));
    for (const name of [...lists.keys()]) {
      if (!names.has(name)) {
        lists.delete(name);
        changed = true;
      }
    }
    const results = await Promise.all(announced.map((list) => this.download(list)));
    return changed || results.some(Boolean);
  }

  /** Fetches a list's new bytes; true when its entries changed. Errors are reported, not thrown. */
  private async download(announced: IdListAnnouncement): Promise<boolean> {
    const { lists } = this.options.store;
    const held = lists.get(announced.name);
    const plan = planDownload(held, announced);
    if (plan.fetchFrom === null) {
      if (plan.reset && held) {
        // A new, empty file (a deleted or emptied list).
        lists.set(announced.name, this.fresh(announced));
        return held.entries.size > 0;
      }
      return false;
    }
    try {
      const from = plan.fetchFrom;
      const response = await this.options.http.request({
        method: 'GET',
        url: announced.url,
        headers: { range: `bytes=${from}-` },
        timeoutMs: this.options.timeoutMs,
        background: true,
      });
      if (response.status === 416) {
        // We read past the file's end: it was replaced under the same id. Start over next time.
        if (held) held.fileID = null;
        this.again = true;
        return false;
      }
      if (response.status !== 200 && response.status !== 206) {
        throw new SwitchyardError(
          ERROR_CODES.httpStatus,
          `ID list "${announced.name}": file download answered ${response.status}`,
          response.status,
        );
      }
      let start = 0;
      let endsFile = true;
      if (response.status === 206) {
        const range = CONTENT_RANGE.exec(String(response.headers['content-range'] ?? ''));
        start = range ? Number(range[1]) : from;
        if (range && range[3] !== '*') endsFile = Number(range[2]) + 1 >= Number(range[3]);
      }
      // A reset, or a server that ignored Range (200 = the whole file), fills a new set that
      // replaces the old one at once, so checks never see a half-read list.
      const whole = plan.reset || start === 0;
      if (!whole && start !== from) {
        throw new SwitchyardError(
          ERROR_CODES.invalidResponse,
          `ID list "${announced.name}": asked for bytes from ${from}, got them from ${start}`,
        );
      }
      const target: IdListState = whole ? this.fresh(announced) : (held as IdListState);
      const before = target.entries.size;
      if (!applyListSlice(target, response.body, endsFile)) {
        lists.delete(announced.name);
        throw new SwitchyardError(
          ERROR_CODES.invalidResponse,
          `ID list "${announced.name}": the file does not start with "+" or "-"; dropped until the next sync`,
        );
      }
      if (whole) lists.set(announced.name, target);
      return whole || target.entries.size !== before || response.body.length > 0;
    } catch (error) {
      this.options.onError(toSwitchyardError(error));
      return false;
    }
  }

  private fresh(announced: IdListAnnouncement): IdListState {
    return {
      fileID: announced.fileID,
      creationTime: announced.creationTime,
      readBytes: 0,
      entries: new Set(),
    };
  }
}
