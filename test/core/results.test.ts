import {
	InputError,
	MAX_DURATION_LIMIT_MINUTES,
	maxDurationEndEvent,
	maxDurationExceeded,
	parseCallbackPayload,
	toResultPayload,
	validateMaxDuration,
} from '../../core';

describe('toResultPayload', () => {
	it('gives both hosts the same snake_case shape', () => {
		const check = parseCallbackPayload({ status: 0, task_id: 'abc', data: { text: 'hi', timestamp: '2025-10-22T12:00:45Z' } });
		if (!check.ok) throw new Error(check.reason);
		expect(toResultPayload(check.event)).toEqual({
			task_id: 'abc',
			status: 0,
			text: 'hi',
			timestamp: '2025-10-22T12:00:45.000Z',
			ended: false,
		});
	});
});

describe('maximum duration', () => {
	it.each([
		[undefined, 0],
		['', 0],
		[0, 0],
		[1.5, 1.5],
		['30', 30],
		[MAX_DURATION_LIMIT_MINUTES, MAX_DURATION_LIMIT_MINUTES],
	])('reads %p as %p minutes', (value, minutes) => {
		expect(validateMaxDuration(value)).toBe(minutes);
	});

	it.each([[-1], ['soon'], [MAX_DURATION_LIMIT_MINUTES + 1], [Infinity], [{}]])('refuses %p', (value) => {
		expect(() => validateMaxDuration(value)).toThrow(InputError);
	});

	it('is exceeded only with a limit, once the time has passed', () => {
		expect(maxDurationExceeded(0, 0, 10 ** 12)).toBe(false);
		expect(maxDurationExceeded(0, 2, 119999)).toBe(false);
		expect(maxDurationExceeded(0, 2, 120000)).toBe(true);
	});

	it('describes the stop as an ended event', () => {
		expect(maxDurationEndEvent('t1', 1, Date.UTC(2025, 0, 1))).toEqual({
			taskId: 't1',
			status: 14,
			text: 'Stopped after the maximum duration of 1 minute.',
			timestamp: '2025-01-01T00:00:00.000Z',
			ended: true,
		});
		expect(maxDurationEndEvent('t1', 5, 0).text).toMatch(/5 minutes\.$/);
	});
});
