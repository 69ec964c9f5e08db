// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { LiftBar, liftBarGeometry, liftDomain } from './lift-bar.js';

afterEach(cleanup);

describe('liftBarGeometry', () => {
  // Width 212 with 6 px padding: 200 px for [-domain, +domain], zero at x = 106.
  it('puts zero in the middle and the interval proportionally around it', () => {
    const g = liftBarGeometry({ estimate: 0.1, interval: [-0.05, 0.25] }, 0.5, 212);
    expect(g.zeroX).toBe(106);
    expect(g.estimateX).toBeCloseTo(126);
    expect(g.lowX).toBeCloseTo(96);
    expect(g.highX).toBeCloseTo(156);
    expect(g.openLow).toBe(false);
    expect(g.openHigh).toBe(false);
  });

  it('draws a regression left of zero when the whole interval is negative', () => {
    const g = liftBarGeometry({ estimate: -0.3, interval: [-0.4, -0.2] }, 0.5, 212);
    expect(g.highX).toBeLessThan(g.zeroX);
    expect(g.lowX).toBeCloseTo(26);
  });

  it('runs an open (one-sided) end to the edge', () => {
    const g = liftBarGeometry({ estimate: 0.1, interval: [0.02, null] }, 0.5, 212);
    expect(g.openHigh).toBe(true);
    expect(g.highX).toBe(206);
    const h = liftBarGeometry({ estimate: 0.1, interval: [null, 0.2] }, 0.5, 212);
    expect(h.openLow).toBe(true);
    expect(h.lowX).toBe(6);
  });

  it('clamps values past the domain to its edges', () => {
    const g = liftBarGeometry({ estimate: 3, interval: [-9, 9] }, 0.5, 212);
    expect(g.lowX).toBe(6);
    expect(g.highX).toBe(206);
    expect(g.estimateX).toBe(206);
  });
});

describe('liftDomain', () => {
  it('covers the widest finite bound of the set, with headroom', () => {
    expect(
      liftDomain([
        { estimate: 0.1, interval: [-0.2, 0.4] },
        { estimate: -0.5, interval: [-0.8, null] },
        null,
      ]),
    ).toBeCloseTo(0.88);
  });
  it('never shrinks below 1% (a flat result is not drawn as a big one)', () => {
    expect(liftDomain([{ estimate: 0.0001, interval: [-0.0002, 0.0004] }])).toBeCloseTo(0.011);
  });
});

describe('LiftBar', () => {
  it('renders the geometry with an accessible description', () => {
    render(
      <LiftBar
        lift={{ estimate: 0.1, interval: [-0.05, 0.25] }}
        domain={0.5}
        verdict="neutral"
        width={212}
      />,
    );
    const bar = screen.getByRole('img', { name: 'Lift +10.0%, 95% interval -5.0% to +25.0%' });
    expect(bar.getAttribute('class')).toContain('verdict-neutral');
    const interval = screen.getByTestId('lift-interval');
    expect(Number(interval.getAttribute('x'))).toBeCloseTo(96);
    expect(Number(interval.getAttribute('width'))).toBeCloseTo(60);
    expect(Number(screen.getByTestId('lift-zero').getAttribute('x1'))).toBe(106);
    expect(Number(screen.getByTestId('lift-estimate').getAttribute('cx'))).toBeCloseTo(126);
  });
});
