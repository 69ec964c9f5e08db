import { idListEntryHash } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import {
  applyListSlice,
  type IdListState,
  IdListStore,
  parseAnnouncements,
  planDownload,
} from './id-lists.js';

const state = (fileID: string | null, readBytes = 0, creationTime = 1): IdListState => ({
  fileID,
  creationTime,
  readBytes,
  entries: new Set(),
});
const announced = (fileID: string, size: number, creationTime = 1) => ({
  name: 'l',
  url: 'http://x/l',
  fileID,
  creationTime,
  size,
});

describe('planDownload (statsig-node rules, protocol doc §6)', () => {
  it('reads new bytes of the same file, and starts over on a new one', () => {
    expect(planDownload(undefined, announced('f1', 30))).toEqual({ reset: true, fetchFrom: 0 });
    expect(planDownload(state('f1', 20), announced('f1', 30))).toEqual({ reset: false, fetchFrom: 20 });
    expect(planDownload(state('f1', 30), announced('f1', 30))).toEqual({ reset: false, fetchFrom: null });
    expect(planDownload(state('f1', 30), announced('f2', 10, 2))).toEqual({ reset: true, fetchFrom: 0 });
    expect(planDownload(state('f1', 30, 5), announced('f0', 40, 4))).toEqual({
      reset: false,
      fetchFrom: null,
    });
    expect(planDownload(state('f1', 30), announced('f2', 0, 2))).toEqual({ reset: true, fetchFrom: null });
  });
});

describe('applyListSlice', () => {
  it('adds and removes entries, consuming whole lines only', () => {
    const list = state('f');
    expect(applyListSlice(list, Buffer.from('+aaaaaaaa\n+bbbbbbbb\n-aaaaaaaa\n+cccc'), false)).toBe(true);
    expect([...list.entries]).toEqual(['bbbbbbbb']);
    expect(list.readBytes).toBe(30);
    expect(applyListSlice(list, Buffer.from('+cccccccc\r\n'), true)).toBe(true);
    expect(list.entries).toEqual(new Set(['bbbbbbbb', 'cccccccc']));
    expect(list.readBytes).toBe(41);
  });

  it('refuses a body that is not a list file', () => {
    expect(applyListSlice(state('f'), Buffer.from('<html>'), true)).toBe(false);
  });
});

describe('parseAnnouncements and IdListStore', () => {
  it('skips malformed entries, naming them', () => {
    const problems: string[] = [];
    const lists = parseAnnouncements(
      { good: announced('f', 10), bad: { url: 'http://x' }, relative: { ...announced('g', 1), url: '/x' } },
      problems,
    );
    expect(lists.map((list) => list.fileID)).toEqual(['f']);
    expect(problems).toHaveLength(2);
    expect(() => parseAnnouncements([], [])).toThrow();
  });

  it('hashes seeded IDs as list files do, and saves and restores its state', () => {
    const store = new IdListStore();
    store.seed({ vips: ['user-1'] });
    expect(store.get('vips')?.has(idListEntryHash('user-1'))).toBe(true);
    const copy = new IdListStore();
    copy.restore(store.save());
    expect(copy.get('vips')).toEqual(store.get('vips'));
    expect(copy.get('other')).toBeUndefined();
  });
});
