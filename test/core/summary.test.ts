import fc from 'fast-check';

import {
	SummaryState,
	SummaryWindow,
	createEpisodeState,
	createSummaryState,
	describeSummary,
	finishSummary,
	recordSummaryWindow,
	reviveSummaryState,
	stepEpisodes,
	streamEndReason,
	validateEpisodeOptions,
} from '../../core';

const T0 = Date.UTC(2025, 9, 22, 12, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const win = (seconds: number, extra: Partial<SummaryWindow> = {}): SummaryWindow => ({ timestamp: at(seconds), receivedAt: T0 + seconds * 1000 + 1500, ...extra });

function record(state: SummaryState, windows: SummaryWindow[]): SummaryState {
	for (const w of windows) state = recordSummaryWindow(JSON.parse(JSON.stringify(state)), w).state;
	return state;
}

describe('stream end reasons', () => {
	it.each([
		[14, 'stopped'],
		[2001, 'credits'],
		[-1, 'source_ended'],
		[5000, 'server_error'],
		[7, 'stream_ended'],
	])('status %p is %p', (status, reason) => {
		expect(streamEndReason(status)).toBe(reason);
	});
});

describe('stream summary', () => {
	it('counts windows, matches, parse errors, late and duplicate windows, and estimates billed time', () => {
		const state = record(createSummaryState('t1', T0 - 3000), [
			win(0, { matched: true }),
			win(5, { matched: false }),
			win(5, { matched: false }), // repeated delivery
			win(15, { parseError: true }),
			win(10, { matched: true }), // late
			win(20, { matched: null }),
		]);
		const { summary, state: ended } = finishSummary(state, { reason: 'stopped', endedAtMs: T0 + 23000, episodes: 2 });
		expect(summary).toEqual({
			reason: 'stopped',
			started_at: at(-3),
			ended_at: at(23),
			duration_s: 26,
			windows_received: 5,
			windows_matched: 2,
			episodes: 2,
			parse_errors: 1,
			late_windows: 1,
			duplicate_windows: 1,
			first_frame_at: at(0),
			last_frame_at: at(20),
			longest_gap_s: 10,
			billed_seconds_estimate: 30,
			billed_minutes_estimate: 0.5,
			billed_estimate_basis: 'start_request',
		});
		expect(ended.ended).toBe(true);
	});

	it('reports the end once: a second end, or windows after it, change nothing', () => {
		const first = finishSummary(createSummaryState('t1', T0), { reason: 'stopped', endedAtMs: T0 + 5000 });
		expect(finishSummary(first.state, { reason: 'max_duration', endedAtMs: T0 + 6000 })).toEqual({ state: first.state, summary: null });
		expect(recordSummaryWindow(first.state, win(1))).toEqual({ state: first.state, order: 'after_end' });
	});

	it('estimates from the first callback for a stream this host did not start', () => {
		const state = record(createSummaryState('t1'), [win(0), win(5)]);
		const { summary } = finishSummary(state, { reason: 'source_ended', endedAtMs: T0 + 11500 });
		expect(summary).toMatchObject({
			started_at: new Date(T0 + 1500).toISOString(),
			billed_seconds_estimate: 10,
			billed_estimate_basis: 'first_callback',
			episodes: null,
			windows_matched: 0,
		});
	});

	it('survives a stream with no callback at all, and one without timestamps', () => {
		expect(finishSummary(createSummaryState('t1'), { reason: 'stopped', endedAtMs: T0 }).summary).toMatchObject({
			windows_received: 0,
			duration_s: 0,
			billed_seconds_estimate: 0,
			first_frame_at: null,
			longest_gap_s: null,
		});
		const bare = record(createSummaryState('t1', T0), [{ timestamp: null, receivedAt: T0 + 1000 }, { timestamp: null, receivedAt: T0 + 1000 }]);
		expect(bare).toMatchObject({ windows: 2, duplicates: 0, firstFrameMs: null, longestGapMs: 0 });
	});

	it('classifies windows exactly as the episode machine does', () => {
		const options = validateEpisodeOptions();
		fc.assert(
			fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }), { maxLength: 40 }), (seconds) => {
				let summary = createSummaryState('t1', T0);
				let episodes = createEpisodeState('t1');
				for (const s of seconds) {
					const window = { timestamp: s === null ? null : at(s), receivedAt: T0, matched: true, text: '' };
					const a = recordSummaryWindow(summary, window);
					const b = stepEpisodes(episodes, window, options);
					expect(a.order).toBe(b.order);
					summary = a.state;
					episodes = b.state;
				}
				expect(summary.windows + summary.duplicates).toBe(seconds.length);
			}),
		);
	});

	it('keeps a bounded state, whatever the number of callbacks', () => {
		let state = createSummaryState('t1', T0);
		const sizes: number[] = [];
		for (let i = 0; i < 1000; i++) {
			state = recordSummaryWindow(state, win(i * 5, { matched: i % 3 === 0, parseError: i % 7 === 0 })).state;
			sizes.push(JSON.stringify(state).length);
		}
		expect(Math.max(...sizes)).toBeLessThan(1000);
		expect(sizes[999]).toBeLessThanOrEqual(sizes[99] + 10); // only the counters' digits grow
		expect(state).toMatchObject({ windows: 1000, matched: 334, parseErrors: 143 });
	});

	it('counts a repeat of a recent window as a duplicate, not as a late window', () => {
		const state = record(createSummaryState('t1', T0), [win(0), win(5), win(10), win(5), win(0)]);
		expect(state).toMatchObject({ windows: 3, duplicates: 2, late: 0 });
	});

	it('revives a stored state, and starts afresh from a corrupt or foreign one', () => {
		const state = record(createSummaryState('t1', T0), [win(0)]);
		expect(reviveSummaryState(JSON.parse(JSON.stringify(state)), 't1')).toEqual(state);
		expect(reviveSummaryState(state, 't2', T0)).toEqual(createSummaryState('t2', T0));
		expect(reviveSummaryState({ ...state, windows: -1 }, 't1')).toEqual(createSummaryState('t1'));
		expect(reviveSummaryState({ ...state, lastFrameMs: 'x' }, 't1')).toEqual(createSummaryState('t1'));
		expect(reviveSummaryState(null, 't1')).toEqual(createSummaryState('t1'));
	});

	it('describes itself in one line, with the estimate labelled', () => {
		const { summary } = finishSummary(record(createSummaryState('t1', T0), [win(0, { parseError: true }), win(5, { matched: true })]), {
			reason: 'max_duration',
			endedAtMs: T0 + 60000,
			episodes: 1,
		});
		expect(describeSummary(summary!)).toBe('Stream ended (max duration) after 60 s: 2 windows, 1 episode, 1 parse error; about 1 billed minute (estimate).');
		const plain = finishSummary(record(createSummaryState('t1', T0), [win(0, { matched: true })]), { reason: 'stopped', endedAtMs: T0 + 5000 }).summary!;
		expect(describeSummary(plain)).toBe('Stream ended (stopped) after 5 s: 1 window, 1 matched; about 0.08 billed minutes (estimate).');
	});
});
