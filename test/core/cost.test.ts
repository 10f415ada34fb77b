import fc from 'fast-check';

import {
	BILLING_INTERVAL_SECONDS,
	DailyUsageState,
	billedMinutes,
	checkDailyBudget,
	createDailyUsage,
	currentDailyUsage,
	estimateBilledSeconds,
	meterStreams,
	recordEndedStream,
	utcDay,
	validateDailyBudget,
} from '../../core';
import { thrown } from './thrown';

const NOON = Date.UTC(2025, 9, 22, 12, 0, 0);
const MIDNIGHT = Date.UTC(2025, 9, 23, 0, 0, 0);
const min = (n: number) => n * 60000;

describe('billed time estimate', () => {
	it('rounds up to whole 5 s billing windows', () => {
		expect(BILLING_INTERVAL_SECONDS).toBe(5);
		expect(estimateBilledSeconds(0, 0)).toBe(0);
		expect(estimateBilledSeconds(0, 1)).toBe(5);
		expect(estimateBilledSeconds(0, 5000)).toBe(5);
		expect(estimateBilledSeconds(0, 5001)).toBe(10);
		expect(estimateBilledSeconds(1000, 0)).toBe(0);
		expect(billedMinutes(65)).toBe(1.08);
	});

	it('is a whole number of windows, never less than the time elapsed nor a window more', () => {
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 10 ** 9 }), (start, length) => {
				const seconds = estimateBilledSeconds(start, start + length);
				expect(seconds % 5).toBe(0);
				expect(seconds * 1000).toBeGreaterThanOrEqual(length);
				expect(seconds * 1000 - length).toBeLessThan(5000);
			}),
		);
	});

	it('meters running and ended streams', () => {
		expect(
			meterStreams(
				[
					{ taskId: 'a', startedAt: NOON, endedAt: null },
					{ taskId: 'b', startedAt: NOON - min(10), endedAt: NOON - min(5) },
				],
				NOON + 61000,
			),
		).toEqual({
			streams: [
				{ task_id: 'a', billed_seconds_estimate: 65, billed_minutes_estimate: 1.08 },
				{ task_id: 'b', billed_seconds_estimate: 300, billed_minutes_estimate: 5 },
			],
			total_billed_minutes_estimate: 6.08,
		});
	});
});

describe('daily budget', () => {
	it('reads 0 as no budget and refuses what is not a number of minutes', () => {
		expect(validateDailyBudget(undefined)).toBe(0);
		expect(validateDailyBudget('')).toBe(0);
		expect(validateDailyBudget('120')).toBe(120);
		for (const bad of [-1, 'lots', 100001, NaN, {}]) {
			expect(thrown(() => validateDailyBudget(bad)).field).toBe('Daily Budget (Stream-Minutes)');
		}
	});

	it('counts the running streams\' time today plus what ended streams used', () => {
		let usage = createDailyUsage(NOON);
		usage = recordEndedStream(usage, { startedAt: NOON - min(30), endedAt: NOON - min(20) }, NOON);
		const check = checkDailyBudget(usage, [{ taskId: 'a', startedAt: NOON - min(5) }], 20, NOON);
		expect(check).toEqual({
			usage,
			day: '2025-10-22',
			used_minutes_estimate: 15,
			budget_minutes: 20,
			remaining_minutes_estimate: 5,
			exceeded: false,
			stop: [],
		});
	});

	it('says to stop every running stream once the budget is used up', () => {
		const running = [
			{ taskId: 'a', startedAt: NOON - min(8) },
			{ taskId: 'b', startedAt: NOON - min(2) },
		];
		const check = checkDailyBudget(createDailyUsage(NOON), running, 10, NOON);
		expect(check).toMatchObject({ used_minutes_estimate: 10, exceeded: true, stop: ['a', 'b'], remaining_minutes_estimate: 0 });
		expect(checkDailyBudget(createDailyUsage(NOON), running, 0, NOON)).toMatchObject({ exceeded: false, stop: [], remaining_minutes_estimate: null });
	});

	it('counts per UTC day: a stream running over midnight counts from midnight, the new day starts afresh', () => {
		const usage = recordEndedStream(createDailyUsage(MIDNIGHT - min(60)), { startedAt: MIDNIGHT - min(50), endedAt: MIDNIGHT - min(40) }, MIDNIGHT - min(1));
		expect(usage).toEqual({ version: 1, day: '2025-10-22', endedSeconds: 600 });
		const check = checkDailyBudget(usage, [{ taskId: 'a', startedAt: MIDNIGHT - min(30) }], 60, MIDNIGHT + min(3));
		expect(check).toMatchObject({ day: '2025-10-23', used_minutes_estimate: 3, usage: { day: '2025-10-23', endedSeconds: 0 } });
		// a stream recorded after midnight that ended before: nothing of it is today's
		expect(recordEndedStream(usage, { startedAt: MIDNIGHT - min(10), endedAt: MIDNIGHT - min(5) }, MIDNIGHT + 1000).endedSeconds).toBe(0);
	});

	it('starts afresh from a stored state that is corrupt, or from another day', () => {
		const today = createDailyUsage(NOON);
		const stored: DailyUsageState = { version: 1, day: '2025-10-22', endedSeconds: 30 };
		expect(currentDailyUsage(JSON.parse(JSON.stringify(stored)), NOON)).toEqual(stored);
		expect(currentDailyUsage({ ...stored, endedSeconds: -5 }, NOON)).toEqual(today);
		expect(currentDailyUsage('x', NOON)).toEqual(today);
		expect(currentDailyUsage(stored, MIDNIGHT)).toEqual(createDailyUsage(MIDNIGHT));
		expect(utcDay(MIDNIGHT - 1)).toBe('2025-10-22');
	});
});
