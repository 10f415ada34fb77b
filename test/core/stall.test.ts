import fc from 'fast-check';

import {
	DEFAULT_STALL_SECONDS,
	StallState,
	StallTransition,
	checkStall,
	createStallState,
	isStalled,
	nextStallCheckAt,
	noteCallback,
	reviveStallState,
	validateStallSeconds,
} from '../../core';
import { thrown } from './thrown';

const T0 = Date.UTC(2025, 9, 22, 12, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;
const iso = (seconds: number) => new Date(s(seconds)).toISOString();

describe('stall limit', () => {
	it('defaults to 30 s, 0 turns it off', () => {
		expect(DEFAULT_STALL_SECONDS).toBe(30);
		expect(validateStallSeconds(undefined)).toBe(30);
		expect(validateStallSeconds('')).toBe(30);
		expect(validateStallSeconds('0')).toBe(0);
		expect(validateStallSeconds(45.5)).toBe(45.5);
	});

	it.each([[5], [-1], [86401], ['soon'], [NaN], [{}]])('refuses %p, naming the option', (value) => {
		const error = thrown(() => validateStallSeconds(value));
		expect(error.field).toBe('Stalled After (Seconds)');
		expect(error.message).toMatch(/0 \(off\) or a number of seconds from 10 to 86400/);
	});
});

describe('stall detection', () => {
	it('stalls once after the limit without a callback, and resumes with the whole gap', () => {
		let state = createStallState(s(0));
		expect(nextStallCheckAt(state, 30)).toBe(s(30));
		expect(checkStall(state, s(29.999), 30).transition).toBeNull();
		expect([isStalled(state, s(29.999), 30), isStalled(state, s(30), 30), isStalled(state, s(10 ** 6), 0)]).toEqual([false, true, false]);
		const stalled = checkStall(state, s(31), 30);
		expect(stalled.transition).toEqual({ event: 'stream_stalled', gap_s: 31, since: iso(0), at: iso(31) });
		state = stalled.state;
		expect(checkStall(state, s(90), 30).transition).toBeNull(); // once per gap
		expect(nextStallCheckAt(state, 30)).toBeNull();
		const resumed = noteCallback(state, s(95), 30);
		expect(resumed.gap_s).toBe(95);
		expect(resumed.transition).toEqual({ event: 'stream_resumed', gap_s: 95, since: iso(0), at: iso(95) });
		expect(resumed.state).toEqual({ version: 1, lastCallbackAtMs: s(95), stalled: false });
	});

	it('reports the gap on every callback, and a resume after a long one even without a timer (n8n)', () => {
		let state = createStallState(s(0));
		const first = noteCallback(state, s(4), 30);
		expect([first.gap_s, first.transition]).toEqual([4, null]);
		state = first.state;
		const late = noteCallback(state, s(64), 30);
		expect(late.gap_s).toBe(60);
		expect(late.transition?.event).toBe('stream_resumed');
	});

	it('does nothing when off', () => {
		const state = createStallState(s(0));
		expect(checkStall(state, s(10 ** 6), 0).transition).toBeNull();
		expect(nextStallCheckAt(state, 0)).toBeNull();
		expect(noteCallback(state, s(10 ** 6), 0).transition).toBeNull();
	});

	it('never goes back in time on a callback from a slower clock', () => {
		const state = noteCallback(createStallState(s(0)), s(20), 30).state;
		const back = noteCallback(state, s(10), 30);
		expect(back.gap_s).toBe(0);
		expect(back.state.lastCallbackAtMs).toBe(s(20));
	});

	it('alternates stalled and resumed, on any schedule of timer checks and callbacks', () => {
		const opArb = fc.array(fc.record({ kind: fc.constantFrom('check', 'callback'), after: fc.integer({ min: 0, max: 120000 }) }), { maxLength: 50 });
		fc.assert(
			fc.property(opArb, fc.constantFrom(10, 30, 60), (ops, limit) => {
				let state: StallState = createStallState(T0);
				let now = T0;
				const transitions: StallTransition[] = [];
				for (const op of ops) {
					now += op.after;
					const quiet = now - state.lastCallbackAtMs;
					if (op.kind === 'check') {
						const r = checkStall(JSON.parse(JSON.stringify(state)), now, limit);
						if (r.transition) {
							expect(quiet).toBeGreaterThanOrEqual(limit * 1000);
							transitions.push(r.transition);
						}
						state = r.state;
					} else {
						const r = noteCallback(JSON.parse(JSON.stringify(state)), now, limit);
						expect(r.gap_s).toBe(quiet / 1000);
						if (r.transition) transitions.push(r.transition);
						state = r.state;
					}
				}
				const stalls = transitions.map((t) => t.event).filter((e) => e === 'stream_stalled');
				// no two stalls without a resume in between
				const names = transitions.map((t) => t.event).join(' ');
				expect(names).not.toMatch(/stream_stalled stream_stalled/);
				expect(stalls.length).toBeLessThanOrEqual(transitions.length - stalls.length + 1);
			}),
		);
	});

	it('revives a stored state, or starts from the stream start', () => {
		const state = noteCallback(createStallState(s(0)), s(5), 30).state;
		expect(reviveStallState(JSON.parse(JSON.stringify(state)), s(0))).toEqual(state);
		expect(reviveStallState({ version: 1, lastCallbackAtMs: 'x', stalled: false }, s(0))).toEqual(createStallState(s(0)));
		expect(reviveStallState(undefined, s(3))).toEqual(createStallState(s(3)));
	});
});
