import fc from 'fast-check';

import {
	DEFAULT_EPISODE_OPTIONS,
	EPISODE_TEXT_LIMIT,
	RECENT_FRAMES,
	EpisodeOptions,
	EpisodeState,
	EpisodeTransition,
	EpisodeWindow,
	createEpisodeState,
	endEpisodes,
	reviveEpisodeState,
	stepEpisodes,
	validateEpisodeOptions,
	windowTimeMs,
} from '../../core';
import { thrown } from './thrown';

const T0 = Date.UTC(2025, 9, 22, 12, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const opts = (o: Partial<EpisodeOptions> = {}): EpisodeOptions => ({ ...DEFAULT_EPISODE_OPTIONS, ...o });

/** A window at `seconds` after T0; received 2 s later. */
function win(seconds: number, matched: boolean | null, text = matched ? 'boiling' : 'calm', fields: EpisodeWindow['fields'] = null): EpisodeWindow {
	return { timestamp: at(seconds), receivedAt: T0 + seconds * 1000 + 2000, matched, text, fields };
}

/** Runs windows through the machine, reloading the state from JSON between calls, as hosts may. */
function run(windows: EpisodeWindow[], options: EpisodeOptions, end?: { reason?: string; atMs: number }) {
	let state: unknown = createEpisodeState('task-1');
	const events: EpisodeTransition[] = [];
	const orders: string[] = [];
	for (const window of windows) {
		const step = stepEpisodes(reviveEpisodeState(JSON.parse(JSON.stringify(state)), 'task-1'), window, options);
		events.push(...step.events);
		orders.push(step.order);
		state = step.state;
	}
	if (end) {
		const done = endEpisodes(reviveEpisodeState(JSON.parse(JSON.stringify(state)), 'task-1'), end.reason, end.atMs);
		events.push(...done.events);
		state = done.state;
	}
	return { state: state as EpisodeState, events, orders };
}

const names = (events: EpisodeTransition[]) => events.map((e) => e.event);

/** Enough random runs to meet the rare cases (a match just inside a cooldown, a late duplicate…). */
const RUNS = { numRuns: 500 };

describe('episode options', () => {
	it('defaults to start after 1, end after 2, no reminder, no cooldown', () => {
		expect(validateEpisodeOptions()).toEqual({ startAfterWindows: 1, endAfterWindows: 2, reminderMinutes: 0, cooldownSeconds: 0 });
		expect(validateEpisodeOptions({ startAfterWindows: '', endAfterWindows: null })).toEqual(DEFAULT_EPISODE_OPTIONS);
	});

	it('reads numbers and numeric text, within range', () => {
		expect(validateEpisodeOptions({ startAfterWindows: '3', endAfterWindows: 100, reminderMinutes: '0.5', cooldownSeconds: 86400 })).toEqual({
			startAfterWindows: 3,
			endAfterWindows: 100,
			reminderMinutes: 0.5,
			cooldownSeconds: 86400,
		});
	});

	it.each([
		['startAfterWindows', 0, 'Start After (Windows)', /whole number from 1 to 100/],
		['startAfterWindows', 1.5, 'Start After (Windows)', /whole number/],
		['startAfterWindows', 101, 'Start After (Windows)', /from 1 to 100/],
		['endAfterWindows', '0', 'End After (Windows)', /consecutive windows the condition must fail/],
		['endAfterWindows', 'two', 'End After (Windows)', /whole number/],
		['reminderMinutes', -1, 'Reminder Every (Minutes)', /number from 0 to 1440 \(minutes between reminders/],
		['reminderMinutes', 1441, 'Reminder Every (Minutes)', /0 to 1440/],
		['cooldownSeconds', Infinity, 'Cooldown (Seconds)', /0 to 86400/],
		['cooldownSeconds', {}, 'Cooldown (Seconds)', /0 to 86400/],
		['cooldownSeconds', true, 'Cooldown (Seconds)', /0 to 86400/],
	])('refuses %s = %p, naming the option', (key, value, label, message) => {
		const error = thrown(() => validateEpisodeOptions({ [key]: value }));
		expect(error.field).toBe(label);
		expect(error.message.startsWith(`${label} must be`)).toBe(true);
		expect(error.message).toMatch(message);
	});
});

describe('the episode machine', () => {
	it('starts on a match and ends after two failures, at the first of them', () => {
		const { events, state } = run([win(0, false), win(5, true, 'pan boils'), win(10, true, 'still boiling'), win(15, false), win(20, false)], opts());
		expect(names(events)).toEqual(['episode_started', 'episode_ended']);
		expect(events[0].episode).toEqual({
			id: 'task-1:1',
			number: 1,
			started_at: at(5),
			ended_at: null,
			duration_s: 0,
			windows: 1,
			first_text: 'pan boils',
			first_fields: null,
			last_text: 'pan boils',
			last_fields: null,
		});
		expect(events[1]).toEqual({
			event: 'episode_ended',
			reason: 'condition_cleared',
			episode: {
				id: 'task-1:1',
				number: 1,
				started_at: at(5),
				ended_at: at(15),
				duration_s: 10,
				windows: 2,
				first_text: 'pan boils',
				first_fields: null,
				last_text: 'still boiling',
				last_fields: null,
			},
		});
		expect(state.active).toBeNull();
	});

	it('tolerates a flicker shorter than "end after"', () => {
		const { events } = run([win(0, true), win(5, false), win(10, true), win(15, false), win(20, true)], opts({ endAfterWindows: 2 }));
		expect(names(events)).toEqual(['episode_started']);
	});

	it('debounces: starts only after N consecutive matches, dated from the first of them', () => {
		const { events } = run([win(0, true), win(5, false), win(10, true), win(15, true), win(20, true), win(25, true)], opts({ startAfterWindows: 3 }));
		expect(names(events)).toEqual(['episode_started']);
		expect(events[0].episode).toMatchObject({ started_at: at(10), duration_s: 10, windows: 3 });
		expect(events[0].episode.first_text).toBe('boiling');
	});

	it('counts unparsed windows neither way', () => {
		const debounce = run([win(0, true), win(5, null), win(10, true)], opts({ startAfterWindows: 2 }));
		expect(names(debounce.events)).toEqual(['episode_started']);
		expect(debounce.events[0].episode.windows).toBe(2);
		const ending = run([win(0, true), win(5, false), win(10, null), win(15, null), win(20, false)], opts());
		expect(names(ending.events)).toEqual(['episode_started', 'episode_ended']);
		expect(ending.events[1].episode.ended_at).toBe(at(5));
	});

	it('keeps the first and last matching texts and fields', () => {
		const { events } = run(
			[win(0, true, 'first', { level: 1 }), win(5, true, 'middle', { level: 2 }), win(10, true, 'last', { level: 3 }), win(15, false, 'calm'), win(20, false, 'calm')],
			opts(),
		);
		expect(events[1].episode).toMatchObject({ first_text: 'first', first_fields: { level: 1 }, last_text: 'last', last_fields: { level: 3 }, windows: 3 });
	});

	it('starts no episode within the cooldown after one ended', () => {
		const windows = [win(0, true), win(5, false), win(10, false), win(15, true), win(20, true), win(60, true), win(65, false), win(70, false)];
		const { events } = run(windows, opts({ cooldownSeconds: 45 }));
		// ended at 5 s; cooling down until 50 s: the matches at 15 and 20 s do not start one
		expect(names(events)).toEqual(['episode_started', 'episode_ended', 'episode_started', 'episode_ended']);
		expect(events[2].episode).toMatchObject({ id: 'task-1:2', number: 2, started_at: at(60) });
	});

	it('does not count matches inside the cooldown towards the debounce', () => {
		const windows = [win(0, true), win(5, true), win(10, false), win(15, false), win(50, true), win(55, true), win(60, true)];
		const { events } = run(windows, opts({ cooldownSeconds: 45, startAfterWindows: 2 }));
		// ended at 10 s, cooling down until 55 s: the run counts from 55 s, not 50 s
		expect(names(events)).toEqual(['episode_started', 'episode_ended', 'episode_started']);
		expect(events[2].episode).toMatchObject({ number: 2, started_at: at(55), windows: 2 });
	});

	it('reminds every R minutes of frame time while the episode goes on, never closer than R', () => {
		const windows = [win(0, true), win(30, true), win(60, true), win(65, false), win(125, true), win(170, true), win(185, true), win(240, true)];
		const { events } = run(windows, opts({ reminderMinutes: 1 }));
		expect(names(events)).toEqual(['episode_started', 'episode_ongoing', 'episode_ongoing', 'episode_ongoing']);
		// at 60 s, at 125 s (a failing window in between does not end it), at 185 s; not at 240 s, 55 s later
		expect(events.slice(1).map((e) => e.episode.duration_s)).toEqual([60, 125, 185]);
		expect(events[1].episode.ended_at).toBeNull();
	});

	it('reminds on a failing window too, but never on the one that ends the episode', () => {
		const windows = [win(0, true), win(55, false), win(65, false)];
		expect(names(run(windows, opts({ reminderMinutes: 1 })).events)).toEqual(['episode_started', 'episode_ended']);
		const flicker = [win(0, true), win(65, false), win(70, true)];
		expect(names(run(flicker, opts({ reminderMinutes: 1 })).events)).toEqual(['episode_started', 'episode_ongoing']);
	});

	it('counts a duplicate once and ignores a late window, reporting both', () => {
		const windows = [win(0, true), win(5, false), win(5, false), win(10, true), win(3, false), win(15, false), win(20, false)];
		const { events, orders } = run(windows, opts());
		expect(orders).toEqual(['in_order', 'in_order', 'duplicate', 'in_order', 'late', 'in_order', 'in_order']);
		expect(names(events)).toEqual(['episode_started', 'episode_ended']);
		expect(events[1].episode).toMatchObject({ ended_at: at(15), windows: 2 });
	});

	it('leaves the state as it was for a duplicate; a late window is only remembered, to tell its repeats', () => {
		const state = stepEpisodes(createEpisodeState('task-1'), win(10, true), opts()).state;
		expect(stepEpisodes(state, win(10, false), opts())).toEqual({ state, events: [], order: 'duplicate' });
		const late = stepEpisodes(state, win(5, false), opts());
		expect(late).toEqual({ state: { ...state, recentFrameMs: [T0 + 10000, T0 + 5000] }, events: [], order: 'late' });
		expect(stepEpisodes(late.state, win(5, false), opts()).order).toBe('duplicate');
	});

	it('tells a repeat of any of the last 32 windows from a late one, with a bounded memory', () => {
		const windows = Array.from({ length: 40 }, (_, i) => win(i * 5, false));
		const { state } = run(windows, opts());
		expect(state.recentFrameMs).toHaveLength(RECENT_FRAMES);
		expect(stepEpisodes(state, win(8 * 5, true), opts()).order).toBe('duplicate');
		expect(stepEpisodes(state, win(7 * 5, true), opts()).order).toBe('late');
	});

	it('applies windows without a frame timestamp in arrival order, timed by arrival', () => {
		const bare = (receivedSeconds: number, matched: boolean): EpisodeWindow => ({ timestamp: null, receivedAt: T0 + receivedSeconds * 1000, matched, text: '' });
		const { events, orders } = run([bare(0, true), bare(5, false), bare(5, false), bare(10, false)], opts());
		expect(orders).toEqual(['in_order', 'in_order', 'in_order', 'in_order']);
		expect(names(events)).toEqual(['episode_started', 'episode_ended']);
		expect(events[1].episode).toMatchObject({ started_at: at(0), ended_at: at(5) });
		expect(windowTimeMs(null, 42)).toBe(42);
		expect(windowTimeMs('not a time', 42)).toBe(42);
		expect(windowTimeMs(at(1), 42)).toBe(T0 + 1000);
	});

	it('ends an ongoing episode when the stream ends, with the reason given', () => {
		const ended = run([win(0, true), win(5, true)], opts(), { atMs: T0 + 9000 });
		expect(ended.events[1]).toMatchObject({ event: 'episode_ended', reason: 'stream_ended', episode: { ended_at: at(9), duration_s: 9, windows: 2 } });
		const limit = run([win(0, true)], opts(), { reason: 'max_duration', atMs: T0 + 60000 });
		expect(limit.events[1]).toMatchObject({ reason: 'max_duration', episode: { ended_at: at(60) } });
	});

	it('dates a stream-end ending from the failing run that had begun', () => {
		const { events } = run([win(0, true), win(5, true), win(10, false)], opts({ endAfterWindows: 3 }), { atMs: T0 + 30000 });
		expect(events[1].episode).toMatchObject({ ended_at: at(10), duration_s: 10 });
	});

	it('ends nothing when no episode runs, once only, and applies nothing after the end', () => {
		expect(run([win(0, false)], opts(), { atMs: T0 }).events).toEqual([]);
		const first = endEpisodes(stepEpisodes(createEpisodeState('t'), win(0, true), opts()).state, 'stopped', T0 + 5000);
		expect(first.events).toHaveLength(1);
		expect(endEpisodes(first.state, 'stopped', T0 + 6000)).toEqual({ state: first.state, events: [] });
		expect(stepEpisodes(first.state, win(60, true), opts())).toEqual({ state: first.state, events: [], order: 'after_end' });
	});

	it('never dates an end before the start (clocks of a stream without timestamps)', () => {
		const state = stepEpisodes(createEpisodeState('t'), { timestamp: null, receivedAt: T0 + 10000, matched: true, text: '' }, opts()).state;
		const { events } = endEpisodes(state, 'stopped', T0);
		expect(events[0].episode).toMatchObject({ started_at: at(10), ended_at: at(10), duration_s: 0 });
	});

	it('does not change the state it is given', () => {
		const deepFreeze = <T>(value: T): T => {
			if (typeof value === 'object' && value !== null) {
				Object.values(value).forEach(deepFreeze);
				Object.freeze(value);
			}
			return value;
		};
		let state = deepFreeze(createEpisodeState('t'));
		for (const window of [win(0, true), win(5, true), win(10, false), win(15, false), win(20, true)]) {
			state = deepFreeze(stepEpisodes(state, window, opts({ reminderMinutes: 0.05 })).state);
		}
		expect(() => endEpisodes(state, 'stopped', T0 + 30000)).not.toThrow();
	});

	it('cuts the texts it keeps, so the state stays small', () => {
		const huge = 'x'.repeat(100000);
		const fields = { note: huge, n: 1 };
		const { state, events } = run([win(0, true, huge, fields), win(5, true, `🔥${huge}`, fields)], opts());
		expect(events[0].episode.first_text).toHaveLength(EPISODE_TEXT_LIMIT);
		expect(events[0].episode.first_text.endsWith('…')).toBe(true);
		expect((state.active?.last.fields?.note as string).length).toBe(500);
		expect(JSON.stringify(state).length).toBeLessThan(6000);
		// a surrogate pair at the cut is not split
		const emoji = '🔥'.repeat(EPISODE_TEXT_LIMIT);
		const cut = run([win(0, true, emoji)], opts()).events[0].episode.first_text;
		expect(cut.endsWith('🔥…')).toBe(true);
	});

	it('revives a stored state, and starts afresh from a corrupt or foreign one', () => {
		const state = run([win(0, true)], opts()).state;
		expect(reviveEpisodeState(JSON.parse(JSON.stringify(state)), 'task-1')).toEqual(state);
		expect(reviveEpisodeState(state, 'task-2')).toEqual(createEpisodeState('task-2'));
		expect(reviveEpisodeState(undefined, 'task-1')).toEqual(createEpisodeState('task-1'));
		expect(reviveEpisodeState({ ...state, version: 2 }, 'task-1')).toEqual(createEpisodeState('task-1'));
		expect(reviveEpisodeState({ ...state, active: { ...state.active, windows: '3' } }, 'task-1')).toEqual(createEpisodeState('task-1'));
		expect(reviveEpisodeState({ ...state, pending: { windows: 1 } }, 'task-1')).toEqual(createEpisodeState('task-1'));
	});
});

// ---------------------------------------------------------------- properties

interface Frame {
	seconds: number;
	matched: boolean | null;
}

/** Frame windows 5 s apart, with gaps (a stalled stream), and what the condition said. */
const framesArb = fc
	.array(
		fc.record({
			matched: fc.oneof({ weight: 5, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constant(null) }),
			gap: fc.constantFrom(5, 5, 5, 5, 10, 65, 600),
		}),
		{ minLength: 4, maxLength: 70 },
	)
	.map((list) => {
		let seconds = 0;
		return list.map(({ matched, gap }): Frame => ({ seconds: (seconds += gap), matched }));
	});

/** Delivery: the frames reordered locally, some repeated later, some lost. */
const deliveryArb = (frames: Frame[]) =>
	fc
		.array(fc.record({ kind: fc.constantFrom('swap', 'delay', 'repeat', 'drop'), i: fc.nat(), by: fc.integer({ min: 1, max: 6 }) }), { maxLength: 30 })
		.map((ops) => {
			const list = [...frames];
			for (const op of ops) {
				if (list.length === 0) break;
				const i = op.i % list.length;
				const j = Math.min(list.length - 1, i + op.by);
				if (op.kind === 'swap') [list[i], list[j]] = [list[j], list[i]];
				else if (op.kind === 'delay') list.splice(j, 0, ...list.splice(i, 1));
				else if (op.kind === 'repeat') list.splice(j + 1, 0, list[i]);
				else list.splice(i, 1);
			}
			return list;
		});

const optionsArb = fc.record({
	startAfterWindows: fc.integer({ min: 1, max: 4 }),
	endAfterWindows: fc.integer({ min: 1, max: 4 }),
	reminderMinutes: fc.constantFrom(0, 0, 0.5, 1, 3),
	cooldownSeconds: fc.constantFrom(0, 5, 12, 60, 300),
});

const scenarioArb = fc.record({ frames: framesArb, options: optionsArb }).chain(({ frames, options }) =>
	fc.record({ frames: fc.constant(frames), options: fc.constant(options), delivery: deliveryArb(frames), reason: fc.constantFrom('stream_ended', 'max_duration', 'stopped') }),
);

const windowOf = (frame: Frame): EpisodeWindow => win(frame.seconds, frame.matched, `frame ${frame.seconds}`);
const endOf = (frames: Frame[], reason: string) => ({ reason, atMs: T0 + (Math.max(0, ...frames.map((f) => f.seconds)) + 5) * 1000 });

/** The windows the documented rule applies: each newer than every one delivered before it. */
function applied(delivery: Frame[]): Frame[] {
	let last = -Infinity;
	return delivery.filter((f) => (f.seconds > last ? ((last = f.seconds), true) : false));
}

/**
 * A reference model, written as a search over the whole sequence rather than as a state machine:
 * find the first run of N matches outside the cooldown, then the first run of M failures.
 */
function referenceEpisodes(frames: Frame[], options: EpisodeOptions, end: { reason: string; atMs: number }) {
	const outcomes = frames.filter((f) => f.matched !== null);
	const runOf = (from: number, length: number, matched: boolean, after = -Infinity) =>
		from + length <= outcomes.length && outcomes.slice(from, from + length).every((f) => f.matched === matched && f.seconds * 1000 + T0 >= after);
	const episodes: Array<{ started_at: string; ended_at: string; windows: number; reason: string }> = [];
	let i = 0;
	let cooldownUntil = -Infinity;
	while (i < outcomes.length) {
		let start = i;
		while (start < outcomes.length && !runOf(start, options.startAfterWindows, true, cooldownUntil)) start++;
		if (start >= outcomes.length) break;
		let stop = start + options.startAfterWindows;
		while (stop < outcomes.length && !runOf(stop, options.endAfterWindows, false)) stop++;
		const startedMs = T0 + outcomes[start].seconds * 1000;
		const inside = outcomes.slice(start, stop);
		const windows = inside.filter((f) => f.matched).length;
		if (stop < outcomes.length) {
			const endedMs = T0 + outcomes[stop].seconds * 1000;
			episodes.push({ started_at: new Date(startedMs).toISOString(), ended_at: new Date(endedMs).toISOString(), windows, reason: 'condition_cleared' });
			cooldownUntil = endedMs + options.cooldownSeconds * 1000;
			i = stop + options.endAfterWindows;
		} else {
			let firstMiss = inside.length;
			while (firstMiss > 0 && inside[firstMiss - 1].matched === false) firstMiss--;
			const endedMs = firstMiss < inside.length ? T0 + inside[firstMiss].seconds * 1000 : end.atMs;
			episodes.push({ started_at: new Date(startedMs).toISOString(), ended_at: new Date(endedMs).toISOString(), windows, reason: end.reason });
			break;
		}
	}
	return episodes;
}

function endedEpisodes(events: EpisodeTransition[]) {
	return events
		.filter((e) => e.event === 'episode_ended')
		.map((e) => ({ started_at: e.episode.started_at, ended_at: e.episode.ended_at as string, windows: e.episode.windows, reason: e.reason as string }));
}

describe('the episode machine, on random deliveries (duplicates, reordering, gaps)', () => {
	it('starts and ends each episode exactly once, in order, by M failures or by the stream end', () => {
		fc.assert(
			fc.property(scenarioArb, ({ frames, options, delivery, reason }) => {
				const { events, state } = run(delivery.map(windowOf), options, endOf(frames, reason));
				const byId = new Map<string, string[]>();
				for (const e of events) byId.set(e.episode.id, [...(byId.get(e.episode.id) ?? []), e.event]);
				expect(byId.size).toBe(state.started);
				for (const sequence of byId.values()) {
					expect(sequence[0]).toBe('episode_started');
					expect(sequence[sequence.length - 1]).toBe('episode_ended');
					expect(sequence.filter((n) => n === 'episode_started')).toHaveLength(1);
					expect(sequence.filter((n) => n === 'episode_ended')).toHaveLength(1);
				}
				// one episode at a time: an episode's events are never interleaved with another's
				const ids = events.map((e) => e.episode.id);
				expect(ids).toEqual([...ids].sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1])));
				for (const e of events.filter((x) => x.event === 'episode_ended')) {
					expect(['condition_cleared', reason]).toContain(e.reason);
				}
			}),
			RUNS,
		);
	});

	it('starts no episode inside a cooldown', () => {
		fc.assert(
			fc.property(scenarioArb, ({ frames, options, delivery, reason }) => {
				const ended = endedEpisodes(run(delivery.map(windowOf), options, endOf(frames, reason)).events);
				for (let k = 1; k < ended.length; k++) {
					expect(Date.parse(ended[k].started_at)).toBeGreaterThanOrEqual(Date.parse(ended[k - 1].ended_at) + options.cooldownSeconds * 1000);
				}
			}),
			RUNS,
		);
	});

	it('gives the same events for any delivery as for its applied windows in frame order (duplicates and late ones change nothing)', () => {
		fc.assert(
			fc.property(scenarioArb, ({ frames, options, delivery, reason }) => {
				const end = endOf(frames, reason);
				const delivered = run(delivery.map(windowOf), options, end);
				const ordered = run(
					applied(delivery)
						.sort((a, b) => a.seconds - b.seconds)
						.map(windowOf),
					options,
					end,
				);
				expect(delivered.events).toEqual(ordered.events);
				// the same state but for the memory of late windows' frame times
				expect({ ...delivered.state, recentFrameMs: [] }).toEqual({ ...ordered.state, recentFrameMs: [] });
				expect(delivered.orders.filter((o) => o === 'in_order')).toHaveLength(applied(delivery).length);
			}),
			RUNS,
		);
	});

	it('agrees with a reference model on every episode', () => {
		fc.assert(
			fc.property(scenarioArb, ({ frames, options, delivery, reason }) => {
				const end = endOf(frames, reason);
				const { events } = run(delivery.map(windowOf), options, end);
				expect(endedEpisodes(events)).toEqual(referenceEpisodes(applied(delivery), options, end));
			}),
			RUNS,
		);
	});

	it('reminds only while an episode goes on, at least R apart', () => {
		fc.assert(
			fc.property(scenarioArb, ({ frames, options, delivery, reason }) => {
				const { events } = run(delivery.map(windowOf), options, endOf(frames, reason));
				const ongoing = events.filter((e) => e.event === 'episode_ongoing');
				if (options.reminderMinutes === 0) expect(ongoing).toEqual([]);
				const times = new Map<string, number[]>();
				for (const e of ongoing) {
					const t = Date.parse(e.episode.started_at) + e.episode.duration_s * 1000;
					times.set(e.episode.id, [...(times.get(e.episode.id) ?? [Date.parse(e.episode.started_at)]), t]);
				}
				for (const list of times.values()) {
					for (let k = 1; k < list.length; k++) expect(list[k] - list[k - 1]).toBeGreaterThanOrEqual(options.reminderMinutes * 60000 - 1e-6);
				}
			}),
			RUNS,
		);
	});

	it('keeps a small state, whatever the number of callbacks, and the same with or without reloading it', () => {
		fc.assert(
			fc.property(scenarioArb, ({ frames, options, delivery }) => {
				let direct = createEpisodeState('task-1');
				for (const window of delivery.map(windowOf)) {
					direct = stepEpisodes(direct, window, options).state;
					expect(JSON.stringify(direct).length).toBeLessThan(1600);
				}
				expect(run(delivery.map(windowOf), options).state).toEqual(direct);
				void frames;
			}),
			RUNS,
		);
	});

	it('keeps its guarantees for windows without timestamps and arbitrary arrival times', () => {
		const arrivalsArb = fc.array(
			fc.record({ matched: fc.constantFrom(true, false, null), stamped: fc.boolean(), seconds: fc.integer({ min: 0, max: 3600 }) }),
			{ maxLength: 60 },
		);
		fc.assert(
			fc.property(arrivalsArb, optionsArb, (arrivals, options) => {
				const windows = arrivals.map(
					(a): EpisodeWindow => ({ timestamp: a.stamped ? at(a.seconds) : null, receivedAt: T0 + a.seconds * 1000, matched: a.matched, text: '' }),
				);
				const { events, state } = run(windows, options, { atMs: T0 + 1000 });
				const starts = events.filter((e) => e.event === 'episode_started').length;
				const ends = endedEpisodes(events);
				expect(starts).toBe(state.started);
				expect(ends).toHaveLength(starts);
				for (const e of ends) expect(Date.parse(e.ended_at)).toBeGreaterThanOrEqual(Date.parse(e.started_at));
				for (let k = 1; k < ends.length; k++) {
					expect(Date.parse(ends[k].started_at)).toBeGreaterThanOrEqual(Date.parse(ends[k - 1].ended_at) + options.cooldownSeconds * 1000);
				}
			}),
			RUNS,
		);
	});
});
