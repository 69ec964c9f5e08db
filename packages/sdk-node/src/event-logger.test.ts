import { describe, expect, it } from 'vitest';
import { EventLogger, type EventLoggerOptions, type LogEvent, type SendOutcome } from './event-logger.js';
import { EventQueue } from './event-queue.js';

const event = (name: string): LogEvent => ({
  eventName: name,
  user: null,
  time: 0,
  value: null,
  metadata: null,
  secondaryExposures: [],
});

function logger(outcomes: SendOutcome[], options: Partial<EventLoggerOptions> = {}) {
  const posts: string[][] = [];
  const dropped: number[] = [];
  const instance = new EventLogger({
    batchSize: 3,
    flushIntervalMs: 60_000,
    maxQueuedEvents: 10,
    retryLimit: 2,
    retryDelay: { minMs: 1, maxMs: 2 },
    dedupeWindowMs: 60_000,
    send: async (events) => {
      posts.push(events.map((e) => e.eventName));
      return outcomes.shift() ?? 'sent';
    },
    onDropped: (count) => dropped.push(count),
    ...options,
  });
  return { instance, posts, dropped };
}

describe('EventQueue', () => {
  it('drops the oldest when full, and puts failed batches back in front', () => {
    const queue = new EventQueue<number>(3);
    for (const n of [1, 2, 3, 4]) queue.push(n);
    expect(queue.dropped).toBe(1);
    const batch = queue.take(2);
    expect(batch).toEqual([2, 3]);
    queue.push(5);
    queue.unshift(batch);
    expect(queue.dropped).toBe(2);
    expect(queue.take(10)).toEqual([3, 4, 5]);
  });
});

describe('EventQueue growth', () => {
  it('grows from a small ring up to its capacity, keeping the order across the wrap', () => {
    const queue = new EventQueue<number>(100);
    for (let n = 0; n < 10; n++) queue.push(n);
    expect(queue.take(5)).toEqual([0, 1, 2, 3, 4]);
    for (let n = 10; n < 120; n++) queue.push(n);
    expect(queue.size).toBe(100);
    expect(queue.dropped).toBe(15);
    expect(queue.take(3)).toEqual([20, 21, 22]);
    expect(queue.take(1000).at(-1)).toBe(119);
  });
});

describe('EventLogger', () => {
  it('deduplicates exposure keys', () => {
    const { instance } = logger([]);
    expect(instance.isNewExposure('gate', 'u1')).toBe(true);
    expect(instance.isNewExposure('gate', 'u1')).toBe(false);
    expect(instance.isNewExposure('gate', 'u2')).toBe(true);
    expect(instance.isNewExposure('other', 'u1')).toBe(true);
  });

  it('sends a full batch at once and the rest on flush', async () => {
    const { instance, posts } = logger([]);
    for (const name of ['a', 'b', 'c', 'd']) instance.enqueue(event(name));
    await instance.flush();
    expect(posts).toEqual([['a', 'b', 'c'], ['d']]);
    expect(instance.stats()).toMatchObject({ sentEvents: 4, queuedEvents: 0 });
  });

  it('retries a failed batch, then drops it after the retry limit', async () => {
    const { instance, posts, dropped } = logger(['retry', 'retry', 'retry']);
    instance.enqueue(event('a'));
    await instance.flush();
    await instance.flush();
    await instance.flush();
    expect(posts).toEqual([['a'], ['a'], ['a']]);
    expect(dropped).toEqual([1]);
    expect(instance.stats()).toMatchObject({ droppedEvents: 1, failedPosts: 3, queuedEvents: 0 });
  });

  it('drops a refused batch at once', async () => {
    const { instance, dropped } = logger(['drop']);
    instance.enqueue(event('a'));
    await instance.flush();
    expect(dropped).toEqual([1]);
  });

  it('sends once at shutdown, dropping what cannot be sent, and then accepts nothing', async () => {
    const { instance, posts } = logger(['retry']);
    for (const name of ['a', 'b']) instance.enqueue(event(name));
    await instance.shutdown(1000);
    expect(posts).toEqual([['a', 'b']]);
    expect(instance.stats()).toMatchObject({ droppedEvents: 2, queuedEvents: 0 });
    instance.enqueue(event('late'));
    expect(instance.stats().queuedEvents).toBe(0);
  });
});
